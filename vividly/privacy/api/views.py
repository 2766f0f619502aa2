"""Internal privacy endpoints (scope `privacy`): a user's export and erasure, and the access log."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from vividly.api.base import InternalAPIView
from vividly.api.pagination import Pagination
from vividly.api.schema import error_responses
from vividly.privacy import selectors, services
from vividly.privacy.api import serializers as s

TAGS = ["privacy"]


class PrivacyAPIView(InternalAPIView):
    """Service tokens with the `privacy` scope, and staff."""

    required_scope = "privacy"


class UserExportView(PrivacyAPIView):
    @extend_schema(
        tags=TAGS,
        responses={200: s.ExportResponseSerializer, **error_responses(401, 403, 404)},
        description="Everything held about the user, in the versioned export layout; the export is access-logged.",
    )
    def get(self, request: Request, username: str) -> Response:
        return Response(services.user_export(username=username, actor=request.user))


class UserErasureView(PrivacyAPIView):
    @extend_schema(
        tags=TAGS,
        responses={200: s.ErasureResponseSerializer, **error_responses(401, 403, 404)},
        description="Erase the user and every row about them (database and Redis); counts per kind. "
        "A suppressed address survives only as a keyed hash. Shared content is kept.",
    )
    def delete(self, request: Request, username: str) -> Response:
        erased = services.user_erase(username=username, actor=request.user)
        return Response(s.ErasureResponseSerializer({"erased": erased}).data)


class AccessLogView(PrivacyAPIView):
    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("username", str, required=False, description="Only entries about this user."),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1}, description="at most 500; default 50"),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}),
        ],
        responses={200: s.AccessLogPageSerializer, **error_responses(400, 401, 403)},
        description="Who (teacher, staff, service, operator) read whose data, what and when; newest first, paged.",
    )
    def get(self, request: Request) -> Response:
        query = s.AccessLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.access_log_entries(**query.validated_data), request, view=self)
        return paginator.get_paginated_response(s.AccessLogEntrySerializer(page, many=True).data)
