"""Django-level guard: no HTML, no cached answer and no oversized or unread body at the API."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from vividly.api.error_bodies import error_response, is_api_path

# Bodies are capped before anything reads them here too: the webhook, and the admin's
# multipart uploads (Django's own DATA_UPLOAD_MAX_MEMORY_SIZE leaves file parts out).
CAPPED_PREFIXES = ("/anymail/", "/admin/")


class ApiErrorMiddleware:
    """Refuse oversized or chunked bodies and turn any non-JSON API error into JSON.

    DRF's exception handler shapes errors raised inside API views; this catches what
    happens outside them: unknown paths, Django's own 400/403/500 pages, and bodies that
    are too large before anything reads them. Every API answer also says `no-store` and
    `nosniff`, errors included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = is_api_path(request.path_info)
        refusal = body_refusal(request, capped=api or request.path_info.startswith(CAPPED_PREFIXES))
        if refusal is not None:
            response = refusal
        elif not api:
            return self.get_response(request)
        else:
            response = json_errors_only(self.get_response(request))
        if api:
            response["Cache-Control"] = "no-store"
            response["X-Content-Type-Options"] = "nosniff"
        return response


def body_refusal(request: HttpRequest, *, capped: bool) -> HttpResponse | None:
    """Return the error for a body this service must not read, or None to go on.

    A chunked body would reach Django as an empty one (Django reads exactly Content-Length
    bytes, and a chunked request has none): it is refused with 411 on every path, never
    silently treated as empty.
    """
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return error_response(411, code="length_required", message="Send the body with a Content-Length header.")
    if not capped:
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error_response(400, code="bad_request", message="Invalid Content-Length header.")
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return error_response(
            413,
            message=f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
        )
    return None


def json_errors_only(response: HttpResponse) -> HttpResponse:
    """Return `response`, or the contract's JSON error in place of a non-JSON error page."""
    if response.status_code < 400 or response.get("Content-Type", "").startswith("application/json"):
        return response
    replacement = error_response(response.status_code)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            replacement[header] = response[header]
    return replacement
