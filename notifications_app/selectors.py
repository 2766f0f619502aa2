"""Read notifications: one with its provider events, for the status endpoint and the admin."""

import uuid

from django.db.models import Prefetch

from notifications_app.models import Notification, ProviderEvent
from vividly.errors import NotFound


def notification_get(*, notification_id: uuid.UUID) -> Notification:
    """Return the notification with its provider events, oldest first; raise NotFound."""
    events = ProviderEvent.objects.order_by("occurred_at", "received_at", "id")
    try:
        return Notification.objects.prefetch_related(Prefetch("events", queryset=events)).get(pk=notification_id)
    except Notification.DoesNotExist as exc:
        raise NotFound("No notification with this id.") from exc
