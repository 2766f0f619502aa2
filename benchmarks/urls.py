"""The project's URLs plus the reference views (baseline, DRF no-op, floors) that exist only when benchmarking."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

from benchmarks import floors
from vividly.api.base import PublicAPIView


def baseline(request: HttpRequest) -> JsonResponse:
    """The floor every scenario is compared with: bare Django answering JSON."""
    return JsonResponse({"ok": True})


class AuthenticatedNoop(PublicAPIView):
    """DRF with token authentication and the user throttle, doing nothing else."""

    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("bench/baseline", baseline),
    path("api/bench/noop", AuthenticatedNoop.as_view()),
    path("bench/floor/hot-hit", floors.hot_hit),
    path("bench/floor/send", floors.send),
    path("bench/floor/<str:cache_key>/progress", floors.progress),
    path("bench/floor/<str:cache_key>/url", floors.signed_url),
    path("", include("vividly.urls")),
]
