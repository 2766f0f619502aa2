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
from vividly.api.schema import CONTENT_PIPELINE, error_responses

TAGS = [CONTENT_PIPELINE]
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
        summary="Take the next videos to generate",
        description="A generator worker takes up to `max_jobs` jobs for `lease_seconds`: the most wanted first "
        "(most students waiting), then the oldest; an empty list when nothing is due. Each comes with a "
        "`lease_token` for every later call about it. A job is never handed to two workers at once; one "
        "whose lease ran out is handed out again (the old token stops working).",
    )
    def post(self, request: Request) -> Response:
        jobs = services.generation_jobs_claim(**valid(s.JobClaimSerializer, request.data))
        return Response({"jobs": s.ClaimedJobSerializer(jobs, many=True).data})


class HeartbeatView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobHeartbeatSerializer,
        responses={200: s.HeartbeatResponseSerializer, **LEASED_ERRORS},
        summary="Keep a job's lease alive while working on it",
        description="Call well within the lease: it extends the lease by its length and records `progress` and "
        "`stage` if given. `cancel_requested` true means nobody waits for this video any more: stop "
        "working on it. A token that lost its lease gets a 409 `lease_lost`: another worker may have the job.",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        beat = services.generation_job_heartbeat(job_id=job_id, **valid(s.JobHeartbeatSerializer, request.data))
        return Response(s.HeartbeatResponseSerializer(beat).data)


class UploadsView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobUploadsSerializer,
        responses={200: s.UploadsResponseSerializer, **LEASED_ERRORS},
        summary="Get upload links for a job's files",
        description="Name the files you are about to upload (with their content types); the answer gives, for "
        "each, where to `PUT` it (a signed URL), the headers to send and the `blob_name` to use in the "
        "metadata when completing. The service chooses the blob names under the job's key.",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        targets = uploads.generation_uploads_sign(job_id=job_id, **valid(s.JobUploadsSerializer, request.data))
        return Response({"uploads": s.UploadTargetSerializer(targets, many=True).data})


class CompleteView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobCompleteSerializer,
        responses={200: s.CompleteResponseSerializer, **LEASED_ERRORS, **error_responses(503)},
        summary="Finish a job: store the video",
        description="Send the finished video's metadata (the cache's store format, with the uploaded blob "
        "names). Every file it names must have been uploaded (else 400 `missing_assets` listing them). The "
        "video is stored in the cache and every waiting student is told it is ready. Repeating the call with "
        "the same token answers the same 200; a token that lost its lease is a 409.",
    )
    def post(self, request: Request, job_id: UUID) -> Response:
        cache_key = services.generation_job_complete(job_id=job_id, **valid(s.JobCompleteSerializer, request.data))
        return Response(s.CompleteResponseSerializer({"cache_key": cache_key, "stored": True}).data)


class FailView(GenerationView):
    @extend_schema(
        tags=TAGS,
        request=s.JobFailSerializer,
        responses={200: s.FailResponseSerializer, **LEASED_ERRORS},
        summary="Give up on a job",
        description="Report that the video could not be made. `retryable` true puts the job back in the queue "
        "after a delay (`retry_at`), up to the attempt limit; after the last attempt, or when not retryable, "
        "the job is `failed` and every waiting request fails with your `error_code`.",
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
        summary="List generation jobs",
        description="Every generation job, newest first, paged with `limit` and `offset`; `status` keeps the "
        "jobs in one state (`queued`, `leased`, `done`, `failed`).",
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
        summary="Read one generation job",
        description="The job's status, demand (students waiting), attempts, lease and last error.",
    )
    def get(self, request: Request, job_id: UUID) -> Response:
        return Response(s.JobSerializer(selectors.generation_job_get(job_id=job_id)).data)
