"""Django-level guard: no HTML and no oversized body ever reaches an API client."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from vividly.api.error_bodies import error_response, is_api_path


class ApiErrorMiddleware:
    """Refuse oversized API bodies with 413 and turn any non-JSON API error into JSON.

    DRF's exception handler shapes errors raised inside API views; this catches what
    happens outside them: unknown paths, Django's own 400/403/500 pages, and bodies that
    are too large before anything reads them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api_path(request.path_info):
            return self.get_response(request)

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, code="bad_request", message="Invalid Content-Length header.")
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return error_response(
                413,
                message=f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
            )

        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replacement = error_response(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response
