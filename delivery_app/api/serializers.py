"""Request and response shapes of the delivery API: the one place a request becomes typed arguments."""

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cache_app.types import KEY_FIELD_SCHEMA, VIDEO_QUALITIES, key_field_errors
from delivery_app.asset_urls import AssetRefused, AssetUrl, WantedAsset
from delivery_app.assets import ASSET_TYPES, DEFAULT_QUALITY, AssetChoice, asset_choice
from delivery_app.models import ContentRequest
from vividly.api.fields import TextField
from vividly.errors import InvalidInput

BATCH_LIMIT = 100


class NumberField(serializers.FloatField):
    """A JSON number, nothing else (DRF's FloatField also takes "10" and true)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class ViewIdField(serializers.UUIDField):
    """A view id as the API hands it out: a UUID string (DRF would also take an integer)."""

    default_error_messages = {"invalid": "Must be a view id (a UUID)."}

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RoundedFloatField(serializers.FloatField):
    def to_representation(self, value: float) -> float:
        return round(value, 3)


def choice_or_refusal(attrs: dict[str, Any]) -> AssetChoice | InvalidInput:
    try:
        return asset_choice(asset_type=attrs.get("type"), quality=attrs.get("quality"))
    except InvalidInput as error:
        return error


@extend_schema_field({"type": "string", "enum": ["", *ASSET_TYPES]})
class AssetTypeField(TextField):
    """An asset type, or empty for the default (delivery_app.assets.asset_choice decides)."""


@extend_schema_field({"type": "string", "enum": list(VIDEO_QUALITIES)})
class QualityField(TextField):
    """A video quality; leave it out for the default (delivery_app.assets.asset_choice decides)."""


class AssetQuerySerializer(serializers.Serializer):
    """`?type=&quality=` of a single URL: an unknown type or quality is a 400."""

    type = AssetTypeField(required=False, allow_blank=True, help_text="Default video.")
    # Unlike an empty type, an empty quality is refused (asset_choice), so blank is not documented.
    quality = QualityField(required=False, allow_blank=True, help_text="Video only; default 720p.")

    def validate(self, attrs: dict[str, Any]) -> AssetChoice:  # type: ignore[override]
        choice = choice_or_refusal(attrs)
        if isinstance(choice, InvalidInput):
            raise serializers.ValidationError(choice.details)
        return choice


@extend_schema_field(KEY_FIELD_SCHEMA)
class KeyPartField(serializers.Field):
    """topic_id, interest or style, by the cache's own rule (cache_app.types.key_field_errors)."""

    def to_internal_value(self, data: Any) -> str:
        if errors := key_field_errors(data):
            raise serializers.ValidationError(errors)
        return data


class RequestCreateSerializer(serializers.Serializer):
    topic_id = KeyPartField()
    interest = KeyPartField()
    style = KeyPartField()


class ContentRequestSerializer(serializers.ModelSerializer):
    student = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ContentRequest
        fields = [
            "id",
            "cache_key",
            "status",
            "error_code",
            "created_at",
            "ready_at",
            "topic_id",
            "interest",
            "style",
            "student",
        ]


class ContentRequestPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ContentRequestSerializer(many=True)


class SignedUrlSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    type = serializers.ChoiceField(choices=ASSET_TYPES)
    quality = serializers.ChoiceField(choices=VIDEO_QUALITIES, allow_null=True)
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField(help_text="Seconds left before the URL expires.")


BATCH_ITEM_SCHEMA = {
    "type": "object",
    "required": ["cache_key"],
    "properties": {
        "cache_key": {"type": "string", "minLength": 1},
        "type": {"type": "string", "description": f"One of {', '.join(ASSET_TYPES)}; default video."},
        "quality": {
            "type": "string",
            "description": f"One of {', '.join(VIDEO_QUALITIES)} (video only); default 720p.",
        },
    },
}


@extend_schema_field(BATCH_ITEM_SCHEMA)
class BatchItemField(serializers.Field):
    """One batch item, checked in one pass (a Serializer per item costs more than its URL).

    A malformed item fails the batch (the caller has a bug); a well-formed item naming an
    unknown type or quality, or content that is not there, fails alone, in its result.
    """

    default_error_messages = {"invalid": "Must be an object with a cache_key string (type, quality: strings)."}

    def to_internal_value(self, data: Any) -> WantedAsset:
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("cache_key"), str)
            or not data["cache_key"]
            or any(field in data and not isinstance(data[field], str) for field in ("type", "quality"))
        ):
            self.fail("invalid")
        return WantedAsset(data["cache_key"], choice_or_refusal(data))


class BatchRequestSerializer(serializers.Serializer):
    items = serializers.ListField(child=BatchItemField(), min_length=1, max_length=BATCH_LIMIT)


class BatchResultSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    type = serializers.CharField(required=False)
    quality = serializers.CharField(required=False, allow_null=True)
    url = serializers.URLField(required=False)
    expires_at = serializers.DateTimeField(required=False)
    expires_in = serializers.IntegerField(required=False)
    error = serializers.DictField(required=False, help_text='{"code", "message"} when this item failed.')


class BatchResponseSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True)


class ViewStartSerializer(serializers.Serializer):
    quality = serializers.ChoiceField(choices=VIDEO_QUALITIES, default=DEFAULT_QUALITY, allow_null=True)

    def validate_quality(self, quality: str | None) -> str:
        return quality or DEFAULT_QUALITY


class ViewStartedSerializer(serializers.Serializer):
    view_id = serializers.UUIDField()
    started_at = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    view_id = ViewIdField()
    # Within the duration too: the service checks that against the view's own duration.
    position_seconds = NumberField(min_value=0)


class CompleteSerializer(serializers.Serializer):
    view_id = ViewIdField()


class ViewStateSerializer(serializers.Serializer):
    view_id = serializers.UUIDField()
    position_seconds = serializers.FloatField()
    watched_seconds = RoundedFloatField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)


class DropoffPointSerializer(serializers.Serializer):
    at = serializers.FloatField(help_text="A fraction of the duration, 0 to 1.")
    share = serializers.FloatField(help_text="The share of views that reached it, 0 to 1.")


class AnalyticsSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    views = serializers.IntegerField()
    unique_viewers = serializers.IntegerField()
    avg_watch_seconds = serializers.FloatField()
    completion_rate = serializers.FloatField(help_text="The share of views marked complete.")
    verified_completion_rate = serializers.FloatField(
        help_text="The share of views whose watched time or furthest position reached 90% of the duration."
    )
    devices = serializers.DictField(child=serializers.IntegerField())
    browsers = serializers.DictField(child=serializers.IntegerField())
    os = serializers.DictField(child=serializers.IntegerField())
    dropoff = DropoffPointSerializer(many=True)


def signed_url_body(url: AssetUrl) -> dict[str, Any]:
    """Return the body SignedUrlSerializer documents (built directly: a batch holds up to
    100, and a serializer instance per URL costs more than signing it)."""
    return {
        "cache_key": url.cache_key,
        "type": url.type,
        "quality": url.quality,
        "url": url.url,
        "expires_at": url.expires_at,
        "expires_in": url.expires_in,
    }


def batch_result_body(result: AssetUrl | AssetRefused) -> dict[str, Any]:
    """Return one batch result: the single-URL body, or the item's error."""
    if isinstance(result, AssetUrl):
        return signed_url_body(result)
    error: dict[str, Any] = {"code": result.error.code, "message": result.error.message}
    if result.error.details:
        error["details"] = result.error.details
    return {"cache_key": result.cache_key, "error": error}
