"""A URLconf of probe views for testing the project's API plumbing on its own."""

from django.db import OperationalError
from django.urls import include, path
from rest_framework.response import Response

from vividly.api.base import InternalAPIView, PublicAPIView
from vividly.errors import Conflict


class InternalProbe(InternalAPIView):
    required_scope = "cache:read"

    def get(self, request):
        return Response({"caller": str(request.user)})

    def post(self, request):
        return Response({"received": request.data})


class PublicProbe(PublicAPIView):
    def get(self, request):
        return Response({"caller": request.user.username})


class Broken(PublicAPIView):
    permission_classes: list = []
    authentication_classes: list = []

    def get(self, request):
        raise RuntimeError("secret internals: db password is hunter2")

    def post(self, request):
        raise OperationalError("connection refused")

    def put(self, request):
        raise Conflict("Already there.", details={"id": "42"})


urlpatterns = [
    path("internal/v1/probe", InternalProbe.as_view()),
    path("api/v1/probe", PublicProbe.as_view()),
    path("api/v1/broken", Broken.as_view()),
    path("", include("vividly.urls")),
]
