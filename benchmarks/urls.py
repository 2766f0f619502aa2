"""The project's URLs plus the two reference views that exist only when benchmarking."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

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
    path("", include("vividly.urls")),
]
