"""Request and response shapes of the cache API."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cache_app.keys import FIELD_MAX_LENGTH, SEPARATOR
from cache_app.metadata import BLOB_NAME_MAX, TITLE_MAX, VIDEO_QUALITIES
from vividly.api.fields import TextField


def no_separator(value: str) -> None:
    if SEPARATOR in value:
        # "a|b", "c" and "a", "b|c" would otherwise share one key.
        raise serializers.ValidationError(f"Must not contain '{SEPARATOR}', the key separator.")


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": FIELD_MAX_LENGTH, "pattern": r"^[^|\u0000]+$"})
class KeyField(TextField):
    """One of topic_id, interest, style: text without the key separator."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", FIELD_MAX_LENGTH)
        kwargs.setdefault("validators", [no_separator])
        super().__init__(**kwargs)


def key_field(**kwargs) -> TextField:
    return KeyField(**kwargs)


class TripleSerializer(serializers.Serializer):
    topic_id = key_field()
    interest = key_field()
    style = key_field()


# A pattern the server's rules imply (no empty segment, leading '/', backslash or control
# character); it also refuses '.' and '..' segments and text that is not valid Unicode.
BLOB_NAME_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": BLOB_NAME_MAX,
    "pattern": r"^[^/\\\u0000-\u001f\u007f]+(/[^/\\\u0000-\u001f\u007f]+)*$",
    "description": "A path inside the content bucket: no leading '/', no '..', '.' or empty segments, "
    "no backslash or control characters.",
}
# The documented shape of `metadata`, as cache_app.metadata.metadata_validate checks it.
METADATA_SCHEMA = {
    "type": "object",
    "required": ["title", "duration_seconds", "assets"],
    "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": TITLE_MAX},
        "duration_seconds": {"type": "number", "minimum": 0, "exclusiveMinimum": True},
        "assets": {
            "type": "object",
            "required": ["video"],
            "additionalProperties": False,
            "properties": {
                "video": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": False,
                    "properties": {quality: BLOB_NAME_SCHEMA for quality in VIDEO_QUALITIES},
                },
                "audio": BLOB_NAME_SCHEMA,
                "script": BLOB_NAME_SCHEMA,
            },
        },
    },
    "description": "Other keys are kept and returned by check. At most 64 KiB as JSON.",
}


@extend_schema_field(METADATA_SCHEMA)
class MetadataField(serializers.DictField):
    """A JSON object, checked by cache_app.metadata.metadata_validate (the service's rules)."""


class StoreSerializer(TripleSerializer):
    metadata = MetadataField()


@extend_schema_field({"type": "string", "pattern": "^[0-9a-f]{64}$"})
class CacheKeyField(TextField):
    """sha256 of the triple, as 64 lowercase hex characters."""


class InvalidateSerializer(serializers.Serializer):
    cache_key = CacheKeyField(required=False, max_length=64)
    topic_id = key_field(required=False)
    interest = key_field(required=False)
    style = key_field(required=False)
    dry_run = serializers.BooleanField(required=False, default=False, help_text="List what would be removed.")


class CheckResponseSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    cache_hit = serializers.BooleanField()
    tier = serializers.ChoiceField(choices=["hot", "cold"], allow_null=True)
    metadata = serializers.DictField(allow_null=True)


class StoreResponseSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    stored = serializers.BooleanField()
    cached_at = serializers.DateTimeField()


class InvalidateResponseSerializer(serializers.Serializer):
    invalidated = serializers.IntegerField()
    cache_keys = serializers.ListField(child=serializers.CharField())
    dry_run = serializers.BooleanField()


class LatencySerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    p50_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True)


class StatsResponseSerializer(serializers.Serializer):
    hot_hits = serializers.IntegerField()
    cold_hits = serializers.IntegerField()
    misses = serializers.IntegerField()
    hit_rate = serializers.FloatField()
    stores = serializers.IntegerField()
    invalidations = serializers.IntegerField()
    hot_errors = serializers.IntegerField()
    cold_errors = serializers.IntegerField()
    lookups = serializers.IntegerField()
    latency = serializers.DictField(child=LatencySerializer())
    since = serializers.DateTimeField(allow_null=True)
