"""Request and response shapes of the notifications API (shapes only: the services validate meaning)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications_app.models import Priority
from notifications_app.registry import TEMPLATES
from notifications_app.services import MAX_BATCH_RECIPIENTS


@extend_schema_field({"type": "string", "enum": sorted(TEMPLATES)})
class TemplateNameField(serializers.CharField):
    """A template's name; the service refuses an unknown one, listing those it knows."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254})
class AddressField(serializers.CharField):
    """An email address; the service checks its form."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)


@extend_schema_field({"type": "object", "additionalProperties": {}})
class ContextField(serializers.JSONField):
    """Any JSON object (the template's variables)."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        return value


class SendRequestSerializer(serializers.Serializer):
    to = AddressField()
    template = TemplateNameField()
    context = ContextField()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    idempotency_key = serializers.CharField(max_length=255, required=False, allow_null=True)


class QueuedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="`queued`; `suppressed` when the address bounced before (never sent).")


class BatchSendRequestSerializer(serializers.Serializer):
    template = TemplateNameField()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    recipients = serializers.ListField(
        # Items are checked one by one by the service, so one bad item fails alone.
        child=serializers.JSONField(help_text='{"to": "...", "context": {...}}'),
        min_length=1,
        max_length=MAX_BATCH_RECIPIENTS,
    )


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(required=False)


class BatchSendItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Absent for an invalid item.")
    to = serializers.JSONField()
    status = serializers.CharField(required=False)
    error = ItemErrorSerializer(required=False)


class BatchSendResponseSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    notifications = BatchSendItemSerializer(many=True)


class EventSerializer(serializers.Serializer):
    type = serializers.CharField(source="event_type")
    provider_event_id = serializers.CharField()
    occurred_at = serializers.SerializerMethodField()

    def get_occurred_at(self, event) -> str:
        return serializers.DateTimeField().to_representation(event.occurred_at or event.received_at)


class StatusSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    to = serializers.EmailField()
    template = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField(help_text="Calls made to the provider.")
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    events = EventSerializer(many=True, help_text="Provider events, oldest first.")
