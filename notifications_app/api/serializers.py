"""Request and response shapes of the notifications API.

The request serializers are the one place that turns a request into typed arguments: DRF
checks the shapes, then `notifications_app.validation` (the domain's rules) checks the
meaning, and `validated_data` holds a `SendRequest` (one per valid batch recipient).
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notifications_app.categories import Category
from notifications_app.models import Priority
from notifications_app.registry import TEMPLATES
from notifications_app.services import MAX_BATCH_RECIPIENTS, BatchItem
from notifications_app.validation import SendRequest, send_request_validate, template_errors
from vividly.errors import DomainError, InvalidInput


@extend_schema_field({"type": "string", "enum": sorted(TEMPLATES)})
class TemplateNameField(serializers.CharField):
    """A template's name; an unknown one is refused, listing those it knows."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254})
class AddressField(serializers.CharField):
    """An email address (its form is checked by the domain's address rule)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)


@extend_schema_field({"type": "object", "additionalProperties": {}})
class ContextField(serializers.JSONField):
    """The template's variables: a JSON object."""

    default_error_messages = {"not_object": "Must be a JSON object."}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        return value


def domain_checked(check: Any, **arguments: Any) -> Any:
    """Return `check(**arguments)`, its InvalidInput turned into DRF's per-field ValidationError."""
    try:
        return check(**arguments)
    except InvalidInput as exc:
        raise serializers.ValidationError(exc.details) from exc


class SendRequestSerializer(serializers.Serializer):
    to = AddressField()
    template = TemplateNameField()
    context = ContextField()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    idempotency_key = serializers.CharField(max_length=255, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        fields = {name: attrs[name] for name in ("to", "template", "context", "priority")}
        request: SendRequest = domain_checked(send_request_validate, **fields)
        return {"request": request, "idempotency_key": attrs.get("idempotency_key")}


class QueuedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="`queued`; `suppressed` when the address bounced before (never sent).")


def batch_recipient(*, template: str, priority: str, recipient: Any) -> BatchItem | SendRequest:
    """Return one batch recipient as a SendRequest, or as a BatchItem carrying why it is invalid."""
    if not isinstance(recipient, dict):
        return BatchItem(to=None, error=InvalidInput("Each recipient must be a JSON object with `to` and `context`."))
    to = recipient.get("to")
    try:
        return send_request_validate(to=to, template=template, context=recipient.get("context", {}), priority=priority)
    except InvalidInput as exc:
        return BatchItem(to=to, error=exc)


class BatchSendRequestSerializer(serializers.Serializer):
    template = TemplateNameField()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    recipients = serializers.ListField(
        # Items are checked one by one, so one bad item fails alone.
        # null too: like any item that is not an object, it fails alone, in its result.
        child=serializers.JSONField(allow_null=True, help_text='{"to": "...", "context": {...}}'),
        min_length=1,
        max_length=MAX_BATCH_RECIPIENTS,
    )

    def validate_template(self, value: str) -> str:
        if errors := template_errors(value):
            raise serializers.ValidationError(errors)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        template, priority = attrs["template"], attrs["priority"]
        return {
            "items": [
                batch_recipient(template=template, priority=priority, recipient=recipient)
                for recipient in attrs["recipients"]
            ]
        }


class ItemErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField(required=False)


def error_summary(error: DomainError) -> str:
    """Return one line naming each invalid field, for a batch item's error message."""
    if not error.details:
        return error.message
    return " ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in error.details.items())


class BatchSendItemSerializer(serializers.Serializer):
    """One recipient's answer: `id` and `status` when queued, `error` (and no `id`) when not."""

    id = serializers.UUIDField(required=False, help_text="Absent for an invalid item.")
    to = serializers.JSONField()
    status = serializers.CharField(required=False)
    error = ItemErrorSerializer(required=False)

    def to_representation(self, item: BatchItem) -> dict[str, Any]:
        if item.notification is not None:
            return {"id": str(item.notification.pk), "to": item.to, "status": item.notification.status}
        error = item.error
        body = {"code": error.code, "message": error_summary(error)}
        if error.details:
            body["details"] = error.details
        return {"to": item.to, "error": body}


class BatchSendResponseSerializer(serializers.Serializer):
    batch_id = serializers.UUIDField()
    notifications = BatchSendItemSerializer(many=True)


class EventSerializer(serializers.Serializer):
    type = serializers.CharField(source="event_type")
    provider_event_id = serializers.CharField()
    occurred_at = serializers.SerializerMethodField()

    def get_occurred_at(self, event: Any) -> str:
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
    category = serializers.ChoiceField(
        choices=Category.choices, help_text="`transactional` emails are always sent; others may be turned off."
    )
    suppression_reason = serializers.SerializerMethodField(
        help_text="Why a `suppressed` email was not sent: unsubscribed, hard_bounce, complaint or preference."
    )
    scheduled_for = serializers.DateTimeField(
        allow_null=True, help_text="A held email (quiet hours, a daily digest) is not sent before this."
    )
    digest_id = serializers.UUIDField(allow_null=True, help_text="The digest email a `digested` one was folded into.")
    events = EventSerializer(many=True, help_text="Provider events, oldest first.")

    def get_suppression_reason(self, notification: Any) -> str | None:
        return notification.suppression_reason or None
