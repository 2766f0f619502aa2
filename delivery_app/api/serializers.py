"""Request and response shapes of the delivery API."""

from rest_framework import serializers

from cache_app.metadata import VIDEO_QUALITIES
from delivery_app.assets import ASSET_TYPES
from delivery_app.models import ContentRequest
from vividly.api.fields import TextField


class RequestCreateSerializer(serializers.Serializer):
    topic_id = TextField(max_length=200)
    interest = TextField(max_length=200)
    style = TextField(max_length=200)


class ContentRequestSerializer(serializers.ModelSerializer):
    student = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ContentRequest
        fields = ["id", "cache_key", "status", "created_at", "ready_at", "topic_id", "interest", "style", "student"]


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


class BatchItemSerializer(serializers.Serializer):
    # Plain strings, not enums: an unknown type or quality fails that item alone (in its result).
    cache_key = serializers.CharField()
    type = serializers.CharField(
        required=False, allow_blank=True, help_text=f"One of {', '.join(ASSET_TYPES)}; default video."
    )
    quality = serializers.CharField(
        required=False, allow_blank=True, help_text=f"One of {', '.join(VIDEO_QUALITIES)} (video only); default 720p."
    )


class BatchRequestSerializer(serializers.Serializer):
    items = BatchItemSerializer(many=True, help_text="At most 100 items.")


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
    quality = serializers.ChoiceField(choices=VIDEO_QUALITIES, required=False)


class ViewStartedSerializer(serializers.Serializer):
    view_id = serializers.UUIDField()
    started_at = serializers.DateTimeField()


class ProgressSerializer(serializers.Serializer):
    view_id = serializers.UUIDField()
    position_seconds = serializers.FloatField(min_value=0)


class CompleteSerializer(serializers.Serializer):
    view_id = serializers.UUIDField()


class ViewStateSerializer(serializers.Serializer):
    view_id = serializers.UUIDField()
    position_seconds = serializers.FloatField()
    watched_seconds = serializers.FloatField()
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
    completion_rate = serializers.FloatField()
    devices = serializers.DictField(child=serializers.IntegerField())
    browsers = serializers.DictField(child=serializers.IntegerField())
    os = serializers.DictField(child=serializers.IntegerField())
    dropoff = DropoffPointSerializer(many=True)
