"""Read notifications (one with its provider events) and the suppression list."""

import uuid

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import Coalesce, Lower

from notifications_app.models import Notification, ProviderEvent, Suppression
from vividly.errors import NotFound


def notification_get(*, notification_id: uuid.UUID) -> Notification:
    """Return the notification with its provider events, oldest first; raise NotFound."""
    # An event without a time sorts by when it arrived, the same on every database.
    events = ProviderEvent.objects.order_by(Coalesce("occurred_at", "received_at"), "id")
    try:
        return Notification.objects.prefetch_related(Prefetch("events", queryset=events)).get(pk=notification_id)
    except Notification.DoesNotExist as exc:
        raise NotFound("No notification with this id.") from exc


def address_is_suppressed(address: str) -> bool:
    """Return True when `address` must never be sent to again (it hard bounced)."""
    return Suppression.objects.filter(address=address.lower()).exists()


def with_suppression_flag(notifications: QuerySet[Notification]) -> QuerySet[Notification]:
    """Annotate each notification with `suppressed`: is its address on the suppression list?"""
    return notifications.annotate(suppressed=Exists(Suppression.objects.filter(address=Lower(OuterRef("to")))))
