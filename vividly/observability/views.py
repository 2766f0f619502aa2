"""GET /metrics: the Prometheus exposition, for service tokens (any scope) and staff only."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from vividly.api.base import InternalAPIView
from vividly.api.permissions import is_service, is_staff_user
from vividly.observability.metrics import exposition


class IsAnyServiceOrStaff(BasePermission):
    """Metrics reveal load and failures, not data: any valid service token may read them."""

    message = "Only services and staff may read metrics."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_service(request) or is_staff_user(request)


class MetricsView(InternalAPIView):
    permission_classes = [IsAnyServiceOrStaff]

    # Prometheus' text format, not JSON: outside the OpenAPI document, like /readyz.
    @extend_schema(exclude=True)
    def get(self, request: Request) -> HttpResponse:
        response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
        response["Cache-Control"] = "no-store"
        return response
