"""Internal cache endpoints: check, store, stats, invalidate."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from cache_app import selectors, services
from cache_app.api import serializers as s
from cache_app.keys import CACHE_KEY_PATTERN, cache_key_for
from vividly.api.base import InternalAPIView, json_object
from vividly.api.schema import CONTENT_PIPELINE, OPERATIONS, BodyOnDeleteSchema, error_responses
from vividly.errors import InvalidInput

INVALIDATE_ARGUMENTS = ("cache_key", "topic_id", "interest", "style", "dry_run")
# The hottest path: a new serializer deep-copies its fields, which costs several times the
# hot hit itself. run_validation and to_representation keep nothing on the instance (its
# fields are bound once), so one instance of each serves every request and thread.
CHECK_REQUEST = s.TripleSerializer()
CHECK_RESPONSE = s.CheckResponseSerializer()


class CheckView(InternalAPIView):
    required_scope = "cache:read"

    @extend_schema(
        tags=[CONTENT_PIPELINE],
        request=s.TripleSerializer,
        responses={200: s.CheckResponseSerializer, **error_responses(400, 401, 403, 503)},
        summary="Look up whether a video is already made",
        description="Send the topic, interest and style; the answer gives the `cache_key` (SHA-256 of "
        "`topic_id|interest|style`, the same everywhere) and, on a hit, which tier held it and its metadata. "
        "Call this before generating anything: a miss means nobody has made it yet. A `|` inside a field is a "
        "400. When the cache cannot say for sure (its permanent tier is unreachable), the answer is 503 "
        "`cold_tier_unavailable`, never a false miss: retry after `Retry-After`. Needs `cache:read`.",
    )
    def post(self, request: Request) -> Response:
        triple = CHECK_REQUEST.run_validation(json_object(request.data))
        lookup = services.cache_entry_fetch(cache_key=cache_key_for(**triple))
        return Response(CHECK_RESPONSE.to_representation(lookup))


class StoreView(InternalAPIView):
    required_scope = "cache:write"

    @extend_schema(
        tags=[CONTENT_PIPELINE],
        request=s.StoreSerializer,
        responses={201: s.StoreResponseSerializer, **error_responses(400, 401, 403, 503)},
        summary="Store a finished video's metadata in the cache",
        description="Store (or replace) the metadata of a made video: `title`, `duration_seconds` and `assets` "
        "(blob names inside the content bucket: at least one video quality, optionally audio, script and an "
        "HLS package). The form of each blob name is checked, not that the file exists yet. Every student "
        "waiting for this video is told it is ready. Needs `cache:write`.",
    )
    def post(self, request: Request) -> Response:
        serializer = s.StoreSerializer(data=json_object(request.data))
        serializer.is_valid(raise_exception=True)
        stored = services.cache_entry_store(**serializer.validated_data, stored_by=request.user.username)
        return Response(s.StoreResponseSerializer(stored).data, status=status.HTTP_201_CREATED)


class StatsView(InternalAPIView):
    required_scope = "cache:read"

    @extend_schema(
        tags=[OPERATIONS],
        responses={200: s.StatsResponseSerializer, **error_responses(401, 403, 503)},
        summary="Read the cache's hit and miss counters",
        description="Hits per tier, misses, stores and invalidations counted across every server since the "
        "last reset, the hit rate (hits / lookups, 0 to 1) and recent lookup latency per tier. Every lookup "
        "answered before this call began is counted. Needs `cache:read`.",
    )
    def get(self, request: Request) -> Response:
        return Response(s.StatsResponseSerializer(selectors.cache_stats()).data)


class StatsResetView(InternalAPIView):
    required_scope = "cache:write"

    @extend_schema(
        tags=[OPERATIONS],
        summary="Reset the cache's counters",
        description="Set every counter of `GET /internal/v1/cache/stats` back to zero (for a new measurement); "
        "cached content is not touched. No body; 204. Needs `cache:write`.",
        request=None,
        responses={204: None, **error_responses(401, 403, 503)},
    )
    def post(self, request: Request) -> Response:
        services.cache_stats_reset()
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvalidateView(InternalAPIView):
    required_scope = "cache:write"
    schema = BodyOnDeleteSchema()

    @extend_schema(
        tags=[OPERATIONS],
        summary="Remove videos from the cache",
        request=s.InvalidateSerializer,
        parameters=[
            OpenApiParameter("cache_key", {"type": "string", "pattern": CACHE_KEY_PATTERN}, required=False),
            OpenApiParameter("topic_id", str, required=False),
            OpenApiParameter("interest", str, required=False),
            OpenApiParameter("style", str, required=False),
            OpenApiParameter("dry_run", bool, required=False, description="List what would be removed."),
        ],
        responses={200: s.InvalidateResponseSerializer, **error_responses(400, 401, 403, 503)},
        description="Remove a video that must not be served any more (a wrong or outdated one) from both "
        "tiers: one `cache_key`, one `topic_id` + `interest` + `style`, or every video of a `topic_id`; any "
        "other combination is a 400. Give the arguments in the JSON body or the query string, not both. "
        "`dry_run` lists what would go without removing it. Needs `cache:write`.",
    )
    def delete(self, request: Request) -> Response:
        in_query = {name: value for name, value in request.query_params.items() if name in INVALIDATE_ARGUMENTS}
        # No body reads as {}; any other body must be an object, even a falsy one (0.0, null, []).
        body = json_object(request.data)
        if body and in_query:
            # Which of two disagreeing sets of arguments was meant? Refuse rather than guess.
            raise InvalidInput(
                details={"non_field_errors": ["Give the arguments in the JSON body or the query string, not both."]}
            )
        serializer = s.InvalidateSerializer(data=body or in_query)
        serializer.is_valid(raise_exception=True)
        arguments = dict(serializer.validated_data)
        # A misspelt dry_run must not delete: only true/false (1/0, yes/no) are understood.
        dry_run = arguments.pop("dry_run")
        keys = selectors.invalidation_targets(**arguments)
        if not dry_run:
            keys = services.cache_entries_invalidate(cache_keys=keys)
        answer = {"cache_keys": keys, "dry_run": dry_run}
        return Response(s.InvalidateResponseSerializer(answer).data)
