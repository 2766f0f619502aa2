"""Public delivery endpoints: requests, signed URLs (single and batch), tracking, analytics."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from delivery_app import analytics, selectors, services
from delivery_app.api import serializers as s
from delivery_app.services import ViewState
from vividly.api.base import PublicAPIView, json_object
from vividly.api.pagination import Pagination
from vividly.api.permissions import IsStudent
from vividly.api.schema import error_responses
from vividly.api.throttling import UserThrottle

TAGS = ["content"]
BATCH_LIMIT = 100


def body_object(request: Request) -> dict[str, Any]:
    return json_object(request.data)


def view_state(view: ViewState) -> dict[str, Any]:
    return {
        "view_id": view.view_id,
        "position_seconds": view.position_seconds,
        "watched_seconds": round(view.watched_seconds, 3),
        "completed": view.completed,
        "completed_at": view.completed_at,
    }


class RequestsView(PublicAPIView):
    throttle_classes = [UserThrottle]

    def get_permissions(self) -> list:
        return [IsStudent()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("limit", {"type": "integer", "minimum": 1}, description="at most 500; default 50"),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}),
        ],
        responses={200: s.ContentRequestPageSerializer, **error_responses(400, 401, 429)},
        description="The caller's own requests (a teacher: their students'; staff: all), newest first, paged.",
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.content_requests_for(user=request.user), request, view=self)
        return paginator.get_paginated_response(s.ContentRequestSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        request=s.RequestCreateSerializer,
        responses={
            201: s.ContentRequestSerializer,
            200: s.ContentRequestSerializer,
            **error_responses(400, 401, 403, 429, 503),
        },
        description="Record that the student asked for this content: `ready` when cached, else `pending` "
        "(the student is emailed when it is stored). Asking again returns the same request with 200.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.RequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        content_request, created = services.content_request_create(user=request.user, **serializer.validated_data)
        return Response(
            s.ContentRequestSerializer(content_request).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class UrlView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("type", str, enum=["video", "audio", "script"], description="default video"),
            OpenApiParameter("quality", str, enum=["720p", "1080p", "4K"], description="video only; default 720p"),
        ],
        responses={200: s.SignedUrlSerializer, **error_responses(400, 401, 404, 503)},
        description="A signed URL to one asset. 404 when the content is not visible to the caller, does not "
        "exist, or lacks that asset (then details.available lists what exists).",
    )
    def get(self, request: Request, cache_key: str) -> Response:
        return Response(
            selectors.content_asset_url(
                user=request.user,
                cache_key=cache_key,
                asset_type=request.query_params.get("type"),
                quality=request.query_params.get("quality"),
            )
        )


class BatchUrlsView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.BatchRequestSerializer,
        responses={200: s.BatchResponseSerializer, **error_responses(400, 401)},
        description=f"Up to {BATCH_LIMIT} signed URLs; results in request order, each a URL or an error.",
    )
    def post(self, request: Request) -> Response:
        items = selectors.validate_batch_items(body_object(request).get("items"), limit=BATCH_LIMIT)
        return Response({"results": selectors.content_asset_urls(user=request.user, items=items)})


class ViewStartView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.ViewStartSerializer,
        responses={201: s.ViewStartedSerializer, **error_responses(400, 401, 404, 503)},
        description="Start a view session; device type, browser and OS come from the User-Agent header.",
    )
    def post(self, request: Request, cache_key: str) -> Response:
        view = services.view_start(
            user=request.user,
            cache_key=cache_key,
            quality=body_object(request).get("quality"),
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response({"view_id": view.pk, "started_at": view.started_at}, status=status.HTTP_201_CREATED)


class ProgressView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.ProgressSerializer,
        responses={200: s.ViewStateSerializer, **error_responses(400, 401, 404, 409)},
        description="Record the playback position (seeking allowed, within the duration); watched time "
        "grows no faster than the wall clock.",
    )
    def post(self, request: Request, cache_key: str) -> Response:
        data = body_object(request)
        view = services.view_progress(
            user=request.user,
            cache_key=cache_key,
            view_id=data.get("view_id"),
            position_seconds=data.get("position_seconds"),
        )
        return Response(view_state(view))


class CompleteView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.CompleteSerializer,
        responses={200: s.ViewStateSerializer, **error_responses(400, 401, 404)},
    )
    def post(self, request: Request, cache_key: str) -> Response:
        view = services.view_complete(
            user=request.user, cache_key=cache_key, view_id=body_object(request).get("view_id")
        )
        return Response(view_state(view))


class AnalyticsView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        responses={200: s.AnalyticsSerializer, **error_responses(401, 403, 404)},
        description="Views, unique viewers, average watch time, completion rate (0 to 1), breakdowns by "
        "device, browser and OS, and the drop-off curve. Teachers see their students' views; staff all.",
    )
    def get(self, request: Request, cache_key: str) -> Response:
        return Response(analytics.video_analytics(user=request.user, cache_key=cache_key))
