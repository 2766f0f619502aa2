"""GET /api/v1/content/{cache_key}/playback: what a player opens (HLS, or one progressive video)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from delivery_app import playback
from vividly.api.base import PublicAPIView
from vividly.api.schema import STUDENTS_AND_TEACHERS, error_responses

FORMATS = ("hls", "progressive")


class PlaybackSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    format = serializers.ChoiceField(choices=FORMATS)
    url = serializers.URLField(help_text="Opens the master playlist (hls) or the video file (progressive).")
    expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField(help_text="Seconds left before the URL expires; ask again to renew.")
    cookie = serializers.CharField(
        required=False,
        help_text=f"With Cloud CDN only: the `{playback.CDN_COOKIE_NAME}` cookie value authorising the whole "
        "package (segments are fetched without the URL's query string); set it for the CDN's host.",
    )


# A player asks again before every expiry, so this is a hot path: a new serializer deep-copies
# its fields (0.25 ms of a 1.7 ms request, measured in-process). to_representation keeps
# nothing on the instance, so one serves every request and thread (as the cache check does).
PLAYBACK_RESPONSE = PlaybackSerializer()


def playback_body(grant: playback.Playback) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cache_key": grant.cache_key,
        "format": grant.format,
        "url": grant.url,
        "expires_at": grant.expires_at,
        "expires_in": grant.expires_in,
    }
    if grant.cookie is not None:
        body["cookie"] = grant.cookie
    return body


class PlaybackView(PublicAPIView):
    @extend_schema(
        tags=[STUDENTS_AND_TEACHERS],
        responses={200: PlaybackSerializer, **error_responses(401, 404, 503)},
        summary="Get the link a video player opens",
        description="The URL to hand to the player: `hls` (adaptive streaming: the master playlist, whose every "
        "playlist and segment loads until `expires_at`) when the video has an HLS package, else `progressive`, "
        "the best video quality as one file. With a CDN, `cookie` holds the equivalent `Cloud-CDN-Cookie`. Ask "
        "again before `expires_at` to keep playing: each call gives a fresh lifetime. Who may see it: as for "
        "the asset link (404 otherwise).",
    )
    def get(self, request: Request, cache_key: str) -> Response:
        grant = playback.content_playback_sign(user=request.user, cache_key=cache_key)
        return Response(PLAYBACK_RESPONSE.to_representation(playback_body(grant)))
