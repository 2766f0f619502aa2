"""Internal privacy endpoints (scope `privacy`): a user's export and erasure, and the access log."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from vividly.api.base import InternalAPIView
from vividly.api.pagination import Pagination
from vividly.api.schema import OPERATIONS, error_responses
from vividly.privacy import selectors, services
from vividly.privacy.api import serializers as s

TAGS = [OPERATIONS]


class PrivacyAPIView(InternalAPIView):
    """Service tokens with the `privacy` scope, and staff."""

    required_scope = "privacy"


class UserExportView(PrivacyAPIView):
    @extend_schema(
        tags=TAGS,
        responses={200: s.ExportResponseSerializer, **error_responses(401, 403, 404)},
        summary="Export everything held about a user",
        description="For a subject access request: one JSON document (format `vividly-export`, versioned) with "
        "the user's profile (display name included, never the password), enrolments and classrooms, content "
        "requests, viewing sessions, emails sent to their address with their delivery events, preferences and "
        "who read their data. The export itself is recorded in the access log. Needs the `privacy` scope.",
    )
    def get(self, request: Request, username: str) -> Response:
        return Response(services.user_export(username=username, actor=request.user))


class UserErasureView(PrivacyAPIView):
    @extend_schema(
        tags=TAGS,
        responses={200: s.ErasureResponseSerializer, **error_responses(401, 403, 404)},
        summary="Erase a user and everything held about them",
        description="For an erasure request: deletes the user and every record about them (profile and display "
        "name, enrolments, requests, viewing sessions, emails to their address, sign-in records) and answers how "
        "many of each kind went. Their tokens stop working within a second. A bounce or complaint about their "
        "address is kept only as a keyed hash, so the address stays blocked. Videos shared with others stay. "
        "Asking again is a 404. Needs the `privacy` scope.",
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
        summary="List who read a student's data",
        description="Each time a teacher, a staff member, a service or an operator read a student's data "
        "(class progress, analytics, an export, an admin page): who, about whom, what and when, newest first, "
        "paged with `limit` and `offset`. `username` keeps the entries about one user. Needs the `privacy` scope.",
    )
    def get(self, request: Request) -> Response:
        query = s.AccessLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.access_log_entries(**query.validated_data), request, view=self)
        return paginator.get_paginated_response(s.AccessLogEntrySerializer(page, many=True).data)
