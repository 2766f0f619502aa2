"""Public delivery endpoints: requests, signed URLs (single and batch), tracking, analytics."""

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from delivery_app import analytics, asset_urls, selectors, services
from delivery_app.access_log import students_read
from delivery_app.api import serializers as s
from delivery_app.api.analytics_filters import AnalyticsQuerySerializer
from vividly.api.base import PublicAPIView
from vividly.api.pagination import Pagination
from vividly.api.permissions import IsStudent
from vividly.api.schema import STUDENTS_AND_TEACHERS, error_responses
from vividly.api.serialization import represented, validated
from vividly.api.throttling import UserThrottle

TAGS = [STUDENTS_AND_TEACHERS]


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
        summary="List video requests",
        description="A student's own requests for videos (a teacher: their students'; staff: all), newest "
        "first, paged with `limit` and `offset`, each with its status: `pending` while the video is being "
        "made, then `ready`, or `failed` (with `error_code`) or `cancelled`.",
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.content_requests_for(user=request.user), request, view=self)
        students_read(actor=request.user, student_ids={row.user_id for row in page}, action="progress")
        return paginator.get_paginated_response(s.ContentRequestSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        request=s.RequestCreateSerializer,
        responses={
            201: s.ContentRequestSerializer,
            200: s.ContentRequestSerializer,
            **error_responses(400, 401, 403, 429, 503),
        },
        summary="Ask for a video on a topic, for an interest and a learning style",
        description="A signed-in student asks for a video: 201 with status `ready` when it already exists, "
        "else `pending` while it is made (the student gets the `content_ready` email when it is, and the "
        "request turns `ready`). Asking again for the same video returns the same request with 200 (a "
        "cancelled or failed one is opened again). A student may have at most 50 pending requests by default "
        "(429 `too_many_pending_requests`). Teachers and staff get 403.",
    )
    def post(self, request: Request) -> Response:
        fields = validated(s.RequestCreateSerializer, request.data)
        content_request, created = services.content_request_create(user=request.user, **fields)
        return Response(
            represented(s.ContentRequestSerializer, content_request),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class RequestView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        responses={200: s.ContentRequestSerializer, **error_responses(401, 404, 409)},
        summary="Cancel a pending video request",
        description="A student cancels their own pending request (its status becomes `cancelled`); the answer "
        "is the request. Cancelling it again answers the same 200; a request that is no longer pending (ready, "
        "failed) is a 409 `request_not_pending`; anyone else's request is a 404.",
    )
    def delete(self, request: Request, request_id: uuid.UUID) -> Response:
        content_request = services.content_request_cancel(user=request.user, request_id=request_id)
        return Response(represented(s.ContentRequestSerializer, content_request))


class UrlView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        parameters=[s.AssetQuerySerializer],
        responses={200: s.SignedUrlSerializer, **error_responses(400, 401, 404, 503)},
        summary="Get a temporary link to one video, audio or script file",
        description="A signed link to one file of a video (`type` video, audio or script; `quality` 720p, 1080p "
        "or 4K for video), valid for `expires_in` seconds (until `expires_at`), after which it stops working. "
        "A student sees what they asked for, a teacher their students' videos. 404 when the caller may not see "
        "it, when it is not made yet, or when that file is missing (`details.available` lists what exists).",
    )
    def get(self, request: Request, cache_key: str) -> Response:
        choice = validated(s.AssetQuerySerializer, request.query_params)
        url = asset_urls.content_asset_url_sign(user=request.user, cache_key=cache_key, choice=choice)
        return Response(s.signed_url_body(url))


class BatchUrlsView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.BatchRequestSerializer,
        responses={200: s.BatchResponseSerializer, **error_responses(400, 401)},
        summary="Get temporary links to several files at once",
        description=f"Up to {s.BATCH_LIMIT} links in one call (a page of thumbnails, a playlist): the results "
        "come in request order, each either the same body as the single-link call or `{cache_key, error}` "
        "for an item the caller may not have.",
    )
    def post(self, request: Request) -> Response:
        items = validated(s.BatchRequestSerializer, request.data)["items"]
        results = asset_urls.content_asset_urls_sign(user=request.user, items=items)
        return Response({"results": [s.batch_result_body(result) for result in results]})


class ViewStartView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.ViewStartSerializer,
        responses={201: s.ViewStartedSerializer, **error_responses(400, 401, 404, 429, 503)},
        summary="Start watching a video",
        description="Call when playback starts: the answer's `view_id` goes with every progress and complete "
        "call of this viewing. The device type, browser and OS are read from the `User-Agent` header (the "
        "header itself is not kept). By default at most 20 unfinished viewings of one video per person start "
        "within an hour (429 `too_many_open_views`).",
    )
    def post(self, request: Request, cache_key: str) -> Response:
        fields = validated(s.ViewStartSerializer, request.data)
        view = services.view_start(
            user=request.user,
            cache_key=cache_key,
            quality=fields["quality"],
            user_agent=request.headers.get("User-Agent", ""),
        )
        return Response(
            represented(s.ViewStartedSerializer, {"view_id": view.pk, "started_at": view.started_at}),
            status=status.HTTP_201_CREATED,
        )


class ProgressView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.ProgressSerializer,
        responses={200: s.ViewStateSerializer, **error_responses(400, 401, 404, 409)},
        summary="Report the playback position",
        description="Send the player's position every few seconds during a viewing. Seeking is fine (any "
        "position within the video's length); the watched time counted grows no faster than real time. "
        "Someone else's `view_id` is a 404.",
    )
    def post(self, request: Request, cache_key: str) -> Response:
        fields = validated(s.ProgressSerializer, request.data)
        view = services.view_progress(user=request.user, cache_key=cache_key, **fields)
        return Response(represented(s.ViewStateSerializer, view))


class CompleteView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        request=s.CompleteSerializer,
        responses={200: s.ViewStateSerializer, **error_responses(400, 401, 404)},
        summary="Mark a viewing as watched to the end",
        description="Call when the video ends; the viewing counts as completed in the teacher's class progress "
        "and the analytics. Someone else's `view_id` is a 404.",
    )
    def post(self, request: Request, cache_key: str) -> Response:
        fields = validated(s.CompleteSerializer, request.data)
        view = services.view_complete(user=request.user, cache_key=cache_key, **fields)
        return Response(represented(s.ViewStateSerializer, view))


class AnalyticsView(PublicAPIView):
    @extend_schema(
        tags=TAGS,
        parameters=[AnalyticsQuerySerializer],
        responses={200: s.AnalyticsSerializer, **error_responses(400, 401, 403, 404)},
        summary="See how a video is watched",
        description="Views, unique viewers, average watch time, completion rate and verified completion rate "
        "(0 to 1), views by device, browser and OS, and where viewers stop. A teacher sees their students' "
        "views, staff everyone's. `from` and `to` keep the views started on those days (UTC, both included; "
        "`from` after `to` is a 400), `classroom` those of one classroom's students (a classroom the caller "
        "may not read is a 404).",
    )
    def get(self, request: Request, cache_key: str) -> Response:
        # A plain dict: DRF would read an empty ?from= from a QueryDict as "not given".
        only = validated(AnalyticsQuerySerializer, request.query_params.dict())
        numbers = analytics.video_analytics(user=request.user, cache_key=cache_key, only=only)
        viewers = analytics.video_viewer_ids(user=request.user, cache_key=cache_key, only=only)
        students_read(actor=request.user, student_ids=viewers, action="analytics")
        return Response(represented(s.AnalyticsSerializer, numbers))
