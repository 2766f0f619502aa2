"""Request and response shapes of the privacy API."""

from rest_framework import serializers

from vividly.api.fields import TextField
from vividly.privacy.models import AccessLogEntry


class AccessLogQuerySerializer(serializers.Serializer):
    username = TextField(required=False, max_length=150)


class AccessLogEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessLogEntry
        fields = ["occurred_at", "actor", "actor_kind", "subject_id", "subject_username", "subject_digest", "action"]


class AccessLogPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AccessLogEntrySerializer(many=True)


class ErasureResponseSerializer(serializers.Serializer):
    erased = serializers.DictField(child=serializers.IntegerField(), help_text="Rows (or keys) erased per kind.")


class ExportResponseSerializer(serializers.Serializer):
    """The documented export layout (PRIVACY.md); each section is a list of rows with every stored field."""

    format = serializers.CharField(help_text='Always "vividly-export".')
    version = serializers.IntegerField(help_text="The layout's version: 1.")
    exported_at = serializers.DateTimeField()
    user = serializers.DictField(help_text="The profile: every field but the password hash.")
    enrolments = serializers.ListField(child=serializers.DictField())
    classrooms = serializers.ListField(child=serializers.DictField())
    content_requests = serializers.ListField(child=serializers.DictField())
    view_sessions = serializers.ListField(child=serializers.DictField())
    notifications = serializers.ListField(child=serializers.DictField(), help_text="With events and attempts.")
    preferences = serializers.ListField(child=serializers.DictField())
    access_log = serializers.ListField(child=serializers.DictField())
