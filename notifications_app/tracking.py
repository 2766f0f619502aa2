"""Record provider events once each and move a notification's status forward only.

Ranks decide "forward": queued < sending = failed < sent < deferred < delivered <
bounced = rejected. `failed` is our own conclusion after a call whose answer never came
or a permanent error; a provider event saying the email was accepted or delivered is
better evidence, so events move `failed` forward. `bounced` and `rejected` are final, and
a suppressed notification was never sent, so no event changes it.
"""

import hashlib
import logging
import uuid
from datetime import datetime
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications_app.models import Notification, ProviderEvent, Status, Suppression
from notifications_app.preference_services import provider_feedback_apply
from notifications_app.privacy import REDACTED_STATUSES, context_redacted, provider_event_payload_minimised
from vividly.observability.metrics import EMAIL_PROVIDER_EVENTS
from vividly.text import is_storable, storable, storable_json

logger = logging.getLogger("vividly.notifications")

RANK = {
    Status.QUEUED: 0,
    Status.SENDING: 1,
    Status.FAILED: 1,
    Status.SENT: 2,
    Status.DEFERRED: 3,
    Status.DELIVERED: 4,
    Status.BOUNCED: 5,
    Status.REJECTED: 5,
}
FINAL = {Status.BOUNCED, Status.REJECTED, Status.SUPPRESSED, Status.DIGESTED}

# The status an event proves. An open, a click or a complaint happened in the inbox,
# so the email was delivered even if the `delivered` event is late or lost.
STATUS_FOR_EVENT = {
    EventType.QUEUED: Status.SENT,
    EventType.SENT: Status.SENT,
    EventType.DEFERRED: Status.DEFERRED,
    EventType.DELIVERED: Status.DELIVERED,
    EventType.OPENED: Status.DELIVERED,
    EventType.CLICKED: Status.DELIVERED,
    EventType.COMPLAINED: Status.DELIVERED,
    EventType.UNSUBSCRIBED: Status.DELIVERED,
    EventType.BOUNCED: Status.BOUNCED,
    EventType.REJECTED: Status.REJECTED,
}


# Events whose time is the delivery time, or the latest it can have been.
DELIVERY_TIME_EVENTS = {EventType.DELIVERED, EventType.OPENED, EventType.CLICKED}


def event_notification(event: AnymailTrackingEvent) -> Notification | None:
    """Return the notification an event is about: by our metadata, else by the provider's message id."""
    notification_id = (event.metadata or {}).get("notification_id")
    if notification_id:
        try:
            return Notification.objects.filter(pk=uuid.UUID(str(notification_id))).first()
        except ValueError:
            return None
    if event.message_id and is_storable(event.message_id):
        return Notification.objects.filter(provider_message_id=event.message_id).first()
    return None


def dedupe_key(event: AnymailTrackingEvent, notification: Notification) -> str:
    """Return what identifies one event across SendGrid's repeats (sg_event_id changes between them)."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    parts = [
        event.message_id or str(notification.pk),
        str(raw.get("event", event.event_type)),
        event.timestamp.isoformat() if event.timestamp else "",
        (event.recipient or "").lower(),
        event.click_url or "",
    ]
    if raw.get("type"):
        # A `bounce` and a `blocked` bounce of one message in one second are two events.
        parts.append(str(raw["type"]))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def suppression_reason(event: AnymailTrackingEvent) -> str | None:
    """Return why this event means "never send to this address again", or None.

    A hard bounce does; SendGrid's `blocked` bounce type is a temporary refusal and does not.
    A drop because the address bounced before or is invalid does too.
    """
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    if event.event_type == EventType.BOUNCED and raw.get("type", "bounce") == "bounce":
        return "hard_bounce"
    if event.event_type == EventType.REJECTED and event.reject_reason in (RejectReason.BOUNCED, RejectReason.INVALID):
        return f"rejected_{event.reject_reason}"
    return None


def suppression_create(
    *, address: str, reason: str, detail: str = "", notification: Notification | None = None
) -> Suppression:
    """Suppress `address`: later sends to it are accepted with status `suppressed` and never sent."""
    suppression, _ = Suppression.objects.get_or_create(
        address=address.lower(), defaults={"reason": reason, "detail": detail[:2000], "notification": notification}
    )
    return suppression


def advance(notification: Notification, event: AnymailTrackingEvent, occurred_at: Any) -> list[str]:
    """Apply an event to a locked notification row; return the fields changed."""
    changed: list[str] = []
    target = STATUS_FOR_EVENT.get(event.event_type)
    current = notification.status
    if target and current not in FINAL and RANK[target] > RANK[current]:
        notification.status, notification.status_changed_at = target, timezone.now()
        changed += ["status", "status_changed_at"]
        if target in REDACTED_STATUSES:
            # Nothing renders it again: its names and links go in the save that makes it final.
            notification.context = context_redacted(notification.context)
            changed.append("context")
        if target in (Status.BOUNCED, Status.REJECTED):
            notification.last_error = storable(str(event.mta_response or event.reject_reason or event.event_type), 2000)
            changed.append("last_error")
    if event.event_type in DELIVERY_TIME_EVENTS and (
        notification.delivered_at is None or occurred_at < notification.delivered_at
    ):
        # An open or a click bounds the delivery time from above; the `delivered` event,
        # earlier, replaces it when it comes.
        notification.delivered_at = occurred_at
        changed.append("delivered_at")
    if target not in (None, Status.REJECTED) and notification.sent_at is None and current != Status.SUPPRESSED:
        # The provider accepted it even if our worker never recorded the answer.
        notification.sent_at = occurred_at
        changed.append("sent_at")
    if event.message_id and not notification.provider_message_id:
        notification.provider_message_id = storable(event.message_id, 255)
        changed.append("provider_message_id")
    return changed


def is_for_its_recipient(event: AnymailTrackingEvent, notification: Notification) -> bool:
    """Return True when the event is about the notification's own address.

    An event naming another address proves nothing about this email, and must not bounce
    it or put that other address on the suppression list.
    """
    recipient = event.recipient if isinstance(event.recipient, str) else ""
    return recipient.strip().lower() == notification.to.lower()


def occurred_at_for(event: AnymailTrackingEvent, notification: Notification) -> datetime | None:
    """Return the event's time, never earlier than the notification itself (clocks, or docs'
    samples from 1973, say otherwise); None when the provider gave no time."""
    if event.timestamp is None:
        return None
    if event.timestamp < notification.created_at:
        logger.info(
            "tracking event %s for %s dated %s, before the notification was created; clamped to %s",
            event.event_type,
            notification.pk,
            event.timestamp.isoformat(),
            notification.created_at.isoformat(),
        )
        return notification.created_at
    return event.timestamp


def provider_event_record(*, event: AnymailTrackingEvent) -> ProviderEvent | None:
    """Record one tracking event and apply it; None when it is a repeat or not ours."""
    notification = event_notification(event)
    if notification is None:
        logger.info("tracking event %s for an unknown message %s ignored", event.event_type, event.message_id)
        return None
    if not is_for_its_recipient(event, notification):
        logger.warning("tracking event %s for %s names another recipient; ignored", event.event_type, notification.pk)
        return None
    occurred_at = occurred_at_for(event, notification)
    # Only the whitelisted fields are kept (never the reader's IP, browser or clicked link).
    # What SendGrid relays from remote mail servers can hold anything; PostgreSQL cannot,
    # and a failed post is retried (and fails again) for a day, with the batch's other events.
    raw = storable_json(provider_event_payload_minimised(event.esp_event)) if isinstance(event.esp_event, dict) else {}
    key = dedupe_key(event, notification)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ProviderEvent.objects.create(
                    notification=notification,
                    event_type=event.event_type,
                    provider_event_id=storable(event.event_id or "", 255),
                    provider_message_id=storable(event.message_id or "", 255),
                    recipient=notification.to,
                    occurred_at=occurred_at,
                    payload=raw,
                    dedupe_key=key,
                )
                EMAIL_PROVIDER_EVENTS.labels(event.event_type).inc()
        except IntegrityError:
            # Only the dedupe key's unique violation is a repeat; anything else the database
            # refused is a fault of this event, for the caller to see.
            if ProviderEvent.objects.filter(dedupe_key=key).exists():
                return None  # SendGrid repeated an event we already have
            raise
        locked = Notification.objects.select_for_update().get(pk=notification.pk)
        if changed := advance(locked, event, occurred_at or timezone.now()):
            locked.save(update_fields=changed)
        if reason := suppression_reason(event):
            suppression_create(
                address=locked.to,
                reason=reason,
                detail=storable(str(event.mta_response or event.description or "")),
                notification=locked,
            )
        # An unsubscribe turns that email's category off for the address; a spam report every
        # non-transactional one (and is counted). Recorded once: a repeat returned above.
        provider_feedback_apply(event_type=event.event_type, notification=locked, event=record)
    return record
