"""Request and response shapes of the cache API."""

from rest_framework import serializers

from cache_app.keys import FIELD_MAX_LENGTH, SEPARATOR
from vividly.api.fields import TextField


def no_separator(value: str) -> None:
    if SEPARATOR in value:
        # "a|b", "c" and "a", "b|c" would otherwise share one key.
        raise serializers.ValidationError(f"Must not contain '{SEPARATOR}', the key separator.")


def key_field(**kwargs) -> TextField:
    return TextField(max_length=FIELD_MAX_LENGTH, validators=[no_separator], **kwargs)


class TripleSerializer(serializers.Serializer):
    topic_id = key_field()
    interest = key_field()
    style = key_field()


class StoreSerializer(TripleSerializer):
    metadata = serializers.DictField(
        help_text="At least title, duration_seconds (> 0) and assets "
        '({"video": {"720p"|"1080p"|"4K": blob name}, "audio"?: blob name, "script"?: blob name}).'
    )


class InvalidateSerializer(serializers.Serializer):
    cache_key = TextField(required=False, max_length=64)
    topic_id = key_field(required=False)
    interest = key_field(required=False)
    style = key_field(required=False)


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
