"""Request and response shapes of the cache API: requests become typed arguments here, and only here.

Each field calls the domain rule it stands for (`cache_app.keys`, `cache_app.metadata`) and
shows the schema built from the same constants, so the OpenAPI document and the checks agree.
"""

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cache_app.keys import CACHE_KEY_PATTERN, KEY_FIELD_SCHEMA, cache_key_errors, key_field_errors
from cache_app.metadata import METADATA_SCHEMA


class RuleField(serializers.Field):
    """A string field decided by one domain rule (`rule(value)` returns its errors), kept exactly as sent."""

    rule: Callable[[object], list[str]]

    def to_internal_value(self, data: Any) -> str:
        if errors := type(self).rule(data):
            raise serializers.ValidationError(errors)
        return data

    def to_representation(self, value: str) -> str:
        return value


@extend_schema_field(KEY_FIELD_SCHEMA)
class KeyField(RuleField):
    """One of topic_id, interest, style (cache_app.keys.key_field_errors)."""

    rule = staticmethod(key_field_errors)


@extend_schema_field({"type": "string", "pattern": CACHE_KEY_PATTERN})
class CacheKeyField(RuleField):
    """sha256 of the triple, as 64 lowercase hex characters (cache_app.keys.cache_key_errors)."""

    rule = staticmethod(cache_key_errors)


@extend_schema_field(METADATA_SCHEMA)
class MetadataField(serializers.DictField):
    """A JSON object; cache_app.metadata.metadata_validate (METADATA_SCHEMA and the rules beside it)
    is applied by the store service, which other callers than this API reach too."""

    def to_internal_value(self, data: Any) -> Any:
        # Any value goes through: the service answers with the schema's field-by-field errors.
        return data


class TripleSerializer(serializers.Serializer):
    topic_id = KeyField()
    interest = KeyField()
    style = KeyField()


class StoreSerializer(TripleSerializer):
    metadata = MetadataField()


class InvalidateSerializer(serializers.Serializer):
    """One entry by cache_key, one by topic_id + interest + style, or a whole topic by topic_id."""

    cache_key = CacheKeyField(required=False)
    topic_id = KeyField(required=False)
    interest = KeyField(required=False)
    style = KeyField(required=False)
    dry_run = serializers.BooleanField(required=False, default=False, help_text="List what would be removed.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        triple = [name for name in ("topic_id", "interest", "style") if name in attrs]
        if "cache_key" in attrs and triple:
            raise serializers.ValidationError(
                {"cache_key": ["Give either cache_key or topic_id (+ interest, style), not both."]}
            )
        if "cache_key" not in attrs and triple not in (["topic_id"], ["topic_id", "interest", "style"]):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give cache_key, or topic_id, interest and style, or topic_id alone."]}
            )
        return attrs


class CheckResponseSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    cache_hit = serializers.BooleanField(source="hit")
    tier = serializers.ChoiceField(choices=["hot", "cold"], allow_null=True)
    metadata = serializers.DictField(allow_null=True)


class StoreResponseSerializer(serializers.Serializer):
    cache_key = serializers.CharField()
    stored = serializers.SerializerMethodField()
    cached_at = serializers.DateTimeField()

    def get_stored(self, entry: Any) -> bool:
        return True


class InvalidateResponseSerializer(serializers.Serializer):
    invalidated = serializers.SerializerMethodField()
    cache_keys = serializers.ListField(child=serializers.CharField())
    dry_run = serializers.BooleanField()

    def get_invalidated(self, answer: dict[str, Any]) -> int:
        return len(answer["cache_keys"])


class LatencySerializer(serializers.Serializer):
    samples = serializers.IntegerField()
    p50_ms = serializers.FloatField(allow_null=True)
    p95_ms = serializers.FloatField(allow_null=True)


class FlushedProcessesSerializer(serializers.Serializer):
    asked = serializers.IntegerField(help_text="Processes asked to flush their counts for this read.")
    answered = serializers.IntegerField(help_text="Those that flushed in time (the others' counts come later).")


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
    processes = FlushedProcessesSerializer()
