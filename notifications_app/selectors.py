"""Read notifications (one with its provider events, the stuck ones), the suppression list, staff addresses."""

import uuid
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from notifications_app.models import DeliveryAttempt, Hold, Notification, Outcome, ProviderEvent, Status, Suppression
from notifications_app.privacy import suppressed_forms
from notifications_app.queueing import sending_lease_seconds
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
    """Return True when `address` must never be sent to again (it hard bounced).

    An erased owner's suppression holds only the keyed hash of the address, which SQL
    cannot compute: both forms are computed here and looked up by equality.
    """
    return Suppression.objects.filter(address__in=suppressed_forms(address)).exists()


def suppressed_addresses(addresses: list[str]) -> set[str]:
    """Return those of `addresses` that must never be sent to again, in one query (see above)."""
    forms = {address: suppressed_forms(address) for address in addresses}
    every_form = [form for pair in forms.values() for form in pair]
    found = set(Suppression.objects.filter(address__in=every_form).values_list("address", flat=True))
    return {address for address, pair in forms.items() if found.intersection(pair)}


def address_suppression(address: str) -> Suppression | None:
    """Return the suppression that stops sends to `address` (by either form), or None."""
    return Suppression.objects.filter(address__in=suppressed_forms(address)).first()


def address_is_staff(address: str) -> bool:
    """Return True when `address` belongs to an active staff user."""
    return get_user_model().objects.filter(email__iexact=address, is_staff=True, is_active=True).exists()


def with_event_flag(notifications: QuerySet[Notification]) -> QuerySet[Notification]:
    """Annotate each notification with `has_events` (did the provider report anything for it?) and
    `sent_message_id` (the message id of an attempt the provider accepted, if one did)."""
    accepted = DeliveryAttempt.objects.filter(notification=OuterRef("pk"), outcome=Outcome.SENT)
    return notifications.annotate(
        has_events=Exists(ProviderEvent.objects.filter(notification=OuterRef("pk"))),
        sent_message_id=Subquery(accepted.order_by("-number").values("provider_message_id")[:1]),
    )


def stuck_notifications(*, older_than: float, now: datetime) -> QuerySet[Notification]:
    """Return the rows still queued or sending `older_than` seconds after max(last state
    change, scheduled retry time, scheduled time); `sending` ones only once no job can still
    be running. A row held for a daily digest has no job to lose: the digest run owns it."""
    cutoff = now - timedelta(seconds=older_than)
    lease_cutoff = now - timedelta(seconds=max(older_than, sending_lease_seconds()))
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=cutoff)
    # A row held until its recipient's quiet hours end is not stuck before then.
    scheduled = Q(scheduled_for__isnull=True) | Q(scheduled_for__lte=cutoff)
    stuck = (
        Notification.objects.filter(due & scheduled)
        .filter(
            Q(status=Status.QUEUED, status_changed_at__lte=cutoff)
            | Q(status=Status.SENDING, status_changed_at__lte=lease_cutoff)
        )
        .exclude(status=Status.QUEUED, hold=Hold.DIGEST)
    )
    return with_event_flag(stuck).order_by("status_changed_at")
