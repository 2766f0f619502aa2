"""Time every request into the latency histogram, labelled by its URL pattern, never its path."""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vividly.observability.metrics import REQUEST_DURATION, UNMATCHED_ROUTE


def route_of(request: HttpRequest) -> str:
    """Return the matched URL pattern (`api/v1/content/<str:cache_key>/url`), bounded by the URLconf."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return UNMATCHED_ROUTE
    return match.route


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        # An unknown method would be a label value per client whim.
        method = request.method if request.method in KNOWN_METHODS else "other"
        REQUEST_DURATION.labels(method, route_of(request), str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
