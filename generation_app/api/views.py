"""Internal generation endpoints (scope `generation`): claim, heartbeat, uploads, complete, fail, jobs."""

from typing import Any
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from generation_app import selectors, services, uploads
from generation_app.api import serializers as s
from vividly.api.base import InternalAPIView
from vividly.api.pagination import Pagination
from vividly.api.schema import error_responses

TAGS = ["generation"]
LEASED_ERRORS = error_responses(400, 401, 403, 404, 409)


def valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class GenerationView(InternalAPIView):
    required_scope = "generation"


class ClaimView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobClaimSerializer,
        responses={200: s.ClaimResponseSerializer, **error_responses(400, 401, 403)},
        description="Lease due jobs, most demanded then oldest; an empty list when nothing is due.",
    )
    def post(self, request: Request) -> Response:
        jobs = services.generation_jobs_claim(**valid(s.JobClaimSerializer, request.data))
        return Response({"jobs": s.ClaimedJobSerializer(jobs, many=True).data})


class HeartbeatView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobHeartbeatSerializer,
        responses={200: s.HeartbeatResponseSerializer, **LEASED_ERRORS},
        description="Extend the lease by its length. cancel_requested: nobody waits any more; stop.",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        beat = services.generation_job_heartbeat(job_id=job_id, **valid(s.JobHeartbeatSerializer, request.data))
        return Response(s.HeartbeatResponseSerializer(beat).data)


class UploadsView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobUploadsSerializer,
        responses={200: s.UploadsResponseSerializer, **LEASED_ERRORS},
        description="Where to PUT each artifact (send the given headers); blob names are chosen here.",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        targets = uploads.generation_uploads_sign(job_id=job_id, **valid(s.JobUploadsSerializer, request.data))
        return Response({"uploads": s.UploadTargetSerializer(targets, many=True).data})


class CompleteView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobCompleteSerializer,
        responses={200: s.CompleteResponseSerializer, **LEASED_ERRORS, **error_responses(503)},
        description="Store the result through the cache (every blob it names must exist: else 400 "
        "missing_assets). The same call again answers the same 200.",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        cache_key = services.generation_job_complete(job_id=job_id, **valid(s.JobCompleteSerializer, request.data))
        return Response(s.CompleteResponseSerializer({"cache_key": cache_key, "stored": True}).data)


class FailView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobFailSerializer,
        responses={200: s.FailResponseSerializer, **LEASED_ERRORS},
        description="Retryable: queued again after GENERATION_RETRY_DELAYS until GENERATION_MAX_ATTEMPTS; "
        "then (or not retryable) failed, and the waiting requests fail with error_code.",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        outcome = services.generation_job_fail(job_id=job_id, **valid(s.JobFailSerializer, request.data))
        return Response(s.FailResponseSerializer(outcome).data)


class JobListView(GenerationView):
    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", str, enum=[choice for choice, _ in s.JobStatus.choices], required=False),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1}, description="at most 500; default 50"),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}),
        ],
        responses={200: s.JobPageSerializer, **error_responses(400, 401, 403)},
        operation_id="generation_jobs_list",
        description="The jobs, newest first, paged.",
    )
    def get(self, request: Request) -> Response:
        # A plain dict: DRF would read an empty ?status= from a QueryDict as "not given".
        jobs = selectors.generation_jobs_list(**valid(s.JobListQuerySerializer, request.query_params.dict()))
        paginator = Pagination()
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(s.JobSerializer(page, many=True).data)


class JobDetailView(GenerationView):
    @extend_schema(
        tags=TAGS,
        operation_id="generation_job_retrieve",
        responses={200: s.JobSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request: Request, job_id: UUID) -> Response:
        return Response(s.JobSerializer(selectors.generation_job_get(job_id=job_id)).data)
