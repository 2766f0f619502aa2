"""Build the contract's error body: {"error": {"code", "message", "details"}, "request_id"}."""

from typing import Any

from django.http import JsonResponse

from vividly.observability.request_id import current_request_id

# The stable code for a status when nothing more specific is known.
CODE_FOR_STATUS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}

MESSAGE_FOR_STATUS = {
    400: "The request is malformed.",
    401: "Authentication credentials were not provided or are invalid.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
    429: "Too many requests; try again later.",
    500: "An unexpected error occurred; it has been logged.",
    503: "A backing service is unavailable; try again shortly.",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Return the contract's error body, with the request's id beside it (when there is one)."""
    error = {"code": code, "message": message, "details": details if details is not None else {}}
    body: dict[str, Any] = {"error": error}
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    return body


def error_response(
    status: int,
    *,
    code: str | None = None,
    message: str | None = None,
    details: Any = None,
    retry_after: int | None = None,
) -> JsonResponse:
    """Return a JsonResponse carrying the error body for `status`."""
    response = JsonResponse(
        error_body(
            code or CODE_FOR_STATUS.get(status, "error"),
            message or MESSAGE_FOR_STATUS.get(status, "The request failed."),
            details,
        ),
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def is_api_path(path: str) -> bool:
    """Return True for paths whose every answer must be JSON."""
    return path.startswith(("/api/", "/internal/"))
