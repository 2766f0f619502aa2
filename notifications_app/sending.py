"""Send one notification: claim it, wait for the global rate, call the provider, record the outcome.

How a re-run is kept from sending twice what the provider accepted:
- a job sends only a row it claimed itself (`queued` → `sending` in one UPDATE), and only
  once its retry time has come, so duplicate jobs for one row are harmless;
- the attempt row is committed as `started` before the provider call, so a worker that
  dies mid-call leaves a visible trace; the sweep resends that row (the one repeat the
  contract allows) unless a provider event shows the provider accepted it;
- outcomes and provider events only move a status forward (never back to `queued` from
  anything but `sending`), so a late result never reopens a finished row.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from anymail.exceptions import AnymailError, AnymailRequestsAPIError
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications_app.categories import is_optional
from notifications_app.delivery_rules import Decision, delivery_decision
from notifications_app.models import DeliveryAttempt, Hold, Notification, Outcome, Status
from notifications_app.privacy import REDACTED_STATUSES, context_redacted
from notifications_app.queueing import enqueue_delivery_at, enqueue_delivery_in
from notifications_app.rate_limits import send_slot_take
from notifications_app.rendering import RenderedEmail, render_email
from notifications_app.selectors import address_is_staff
from notifications_app.unsubscribe import unsubscribe_url
from vividly.process_state import process_wide

logger = logging.getLogger("vividly.notifications")

# RQ's scheduler works in whole seconds: a job may come back up to a second early.
CLAIM_SLACK = timedelta(seconds=1)
# Never wait longer than this on a provider's rate-limit reset header.
MAX_PROVIDER_WAIT_SECONDS = 15 * 60


@dataclass(frozen=True)
class SendFailure:
    transient: bool
    http_status: int | None
    error: str
    # Seconds the provider asked us to wait (429 with X-RateLimit-Reset), if any.
    wait_hint: float = 0.0


SUPPRESSION_MESSAGES = {
    "hard_bounce": "Not sent: this address is suppressed (it bounced).",
    "unsubscribed": "Not sent: the recipient unsubscribed from this category.",
    "complaint": "Not sent: the recipient reported an email as spam.",
    "preference": "Not sent: the recipient turned this category off.",
}


def notification_deliver(*, notification_id: str, now: datetime | None = None) -> str:
    """Send the notification `notification_id` if this job can claim it; return what happened.

    `now` is the clock quiet hours and digests are read with (the tests pass one).
    """
    now = now or timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, status=Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLAIM_SLACK))
        .update(status=Status.SENDING, status_changed_at=now)
    )
    if not claimed:
        # Sent, finished, claimed by another job, or not due yet (its own job is scheduled).
        return "not_claimed"
    notification = Notification.objects.get(pk=notification_id)

    decision = delivery_decision(notification, now=now)
    if decision.action == "suppress":
        finish(
            notification,
            Status.SUPPRESSED,
            error=SUPPRESSION_MESSAGES.get(decision.reason, "Not sent."),
            suppression_reason=decision.reason,
        )
        return "suppressed"
    if decision.action == "hold":
        hold(notification, decision, now=now)
        return "held"

    slot = send_slot_take()
    if not slot.allowed:
        # Waiting for the global rate is not an attempt: no provider call was made.
        reschedule(notification, slot.retry_after + random.uniform(0, 1))
        return "rate_limited"

    link = unsubscribe_link(notification)
    try:
        rendered = render_email(notification.template, notification.context, unsubscribe_url=link)
    except Exception as exc:
        # The context was checked at request time; a template changed since then.
        logger.exception("notification %s cannot be rendered", notification.pk)
        finish(notification, Status.FAILED, error=f"Template error: {exc}")
        return "failed"

    attempt = attempt_start(notification)
    started = time.monotonic()
    try:
        message_id, http_status = provider_send(notification, rendered, unsubscribe_url=link)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then classified
        failure = classify(exc)
        kind = "transient" if failure.transient else "permanent"
        logger.warning(
            "notification %s attempt %d: %s failure: %s", notification.pk, attempt.number, kind, failure.error
        )
        return record_failure(notification, attempt, failure, elapsed_ms(started))
    record_sent(notification, attempt, message_id=message_id, http_status=http_status, duration_ms=elapsed_ms(started))
    return "sent"


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def unsubscribe_link(notification: Notification) -> str | None:
    """Return the one-click link of a non-transactional email (None for a transactional one)."""
    if not is_optional(notification.category):
        return None
    return unsubscribe_url(address=notification.to, category=notification.category)


def build_message(
    notification: Notification, rendered: RenderedEmail, *, unsubscribe_url: str | None = None
) -> EmailMultiAlternatives:
    """Return the email, text with an HTML alternative, tagged with our notification id.

    Each notification is its own provider call with one recipient, so its own headers are
    that recipient's: a batch never shares one unsubscribe link (no need for anymail's
    `merge_headers`).
    """
    headers = {}
    if unsubscribe_url:
        # RFC 8058: mail clients show an unsubscribe button that POSTs to the link at once.
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to],
        reply_to=[settings.SENDGRID_REPLY_TO] if settings.SENDGRID_REPLY_TO else None,
        headers=headers,
    )
    message.attach_alternative(rendered.html, "text/html")
    # anymail: SendGrid sends metadata back in every event, so an event finds its
    # notification even when the worker died before recording the provider's message id.
    message.metadata = {"notification_id": str(notification.pk)}
    message.tags = [notification.template]
    # No tracking pixel and no rewritten links (PRIVACY.md): a student's reading is not recorded.
    message.track_opens = message.track_clicks = tracking_allowed(notification.to)
    return message


def tracking_allowed(address: str) -> bool:
    """Return whether an email to `address` may be tracked: only a staff recipient's, only when configured."""
    return settings.EMAIL_TRACKING_FOR_STAFF and address_is_staff(address)


@process_wide("EMAIL_BACKEND", "ANYMAIL")
def mail_connection() -> BaseEmailBackend:
    """Return this process's open mail connection for the configured backend.

    Kept open between jobs: anymail's backend then reuses its HTTP session, so an email
    costs one request, not a TCP and TLS handshake too.
    """
    connection = get_connection()
    connection.open()
    return connection


def provider_send(
    notification: Notification, rendered: RenderedEmail, *, unsubscribe_url: str | None = None
) -> tuple[str, int | None]:
    """Send through Django's mail API (anymail's SendGrid backend, or the local .eml one)."""
    message = build_message(notification, rendered, unsubscribe_url=unsubscribe_url)
    message.connection = mail_connection()
    message.send()
    status = getattr(message, "anymail_status", None)
    response = getattr(status, "esp_response", None)
    return (getattr(status, "message_id", None) or ""), getattr(response, "status_code", None)


def classify(exc: Exception) -> SendFailure:
    """Tell a transient failure (retry later) from a permanent one (give up now).

    Transient: no HTTP answer at all (timeout, refused), 429, 5xx, or a local I/O error.
    Permanent: any other 4xx, or anymail refusing the message before sending it.
    """
    if isinstance(exc, AnymailRequestsAPIError):
        status = exc.status_code
        wait_hint = 0.0
        if status == 429 and exc.response is not None:
            reset = exc.response.headers.get("X-RateLimit-Reset")
            if reset and reset.isdigit():
                wait_hint = min(float(reset) - time.time(), MAX_PROVIDER_WAIT_SECONDS)
        transient = status is None or status == 429 or status >= 500
        return SendFailure(transient, status, str(exc)[:2000], wait_hint)
    if isinstance(exc, AnymailError):
        return SendFailure(False, None, str(exc)[:2000])
    if not isinstance(exc, OSError):
        logger.error("unexpected error while sending", exc_info=exc)
    return SendFailure(True, None, f"{type(exc).__name__}: {exc}"[:2000])


def attempt_start(notification: Notification) -> DeliveryAttempt:
    """Record the attempt as `started` and commit it, before the provider is called.

    The number comes from the row this job loaded after claiming it: while it is
    `sending`, no other job touches it.
    """
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(attempts=F("attempts") + 1)
        notification.attempts += 1
        return DeliveryAttempt.objects.create(notification=notification, number=notification.attempts)


def record_sent(
    notification: Notification, attempt: DeliveryAttempt, *, message_id: str, http_status: int | None, duration_ms: int
) -> None:
    now = timezone.now()
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            outcome=Outcome.SENT,
            finished_at=now,
            duration_ms=duration_ms,
            http_status=http_status,
            provider_message_id=message_id,
        )
        rows = Notification.objects.filter(pk=notification.pk)
        sent = rows.filter(status=Status.SENDING).update(
            status=Status.SENT,
            status_changed_at=now,
            sent_at=now,
            provider_message_id=message_id,
            last_error="",
            next_attempt_at=None,
        )
        if not sent:
            # A provider event got here first (delivered, say): keep its status, fill the gaps.
            rows.filter(sent_at__isnull=True).update(sent_at=now)
            rows.filter(provider_message_id="").update(provider_message_id=message_id)


def record_failure(notification: Notification, attempt: DeliveryAttempt, failure: SendFailure, duration_ms: int) -> str:
    """Record a failed call; schedule the next retry or give up. Return what happened."""
    now = timezone.now()
    delays = settings.EMAIL_RETRY_DELAYS
    retry_index = attempt.number - 1
    will_retry = failure.transient and retry_index < len(delays)
    delay = max(float(delays[retry_index]), failure.wait_hint) if will_retry else 0.0
    with transaction.atomic():
        attempt.outcome = Outcome.TRANSIENT_ERROR if failure.transient else Outcome.PERMANENT_ERROR
        attempt.finished_at, attempt.duration_ms = now, duration_ms
        attempt.http_status, attempt.error = failure.http_status, failure.error
        attempt.save(update_fields=["outcome", "finished_at", "duration_ms", "http_status", "error"])
        changes = {"last_error": failure.error, "status_changed_at": now}
        if will_retry:
            changes |= {"status": Status.QUEUED, "next_attempt_at": now + timedelta(seconds=delay)}
        else:
            changes |= {"status": Status.FAILED, "next_attempt_at": None}
        moved = Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(**changes)
    if will_retry and moved:
        enqueue_delivery_in(notification, delay)
        return "retry_scheduled"
    return "failed"


def reschedule(notification: Notification, delay: float) -> None:
    """Put a claimed row back to `queued`, due in `delay` seconds, and schedule its job."""
    now = timezone.now()
    moved = Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
        status=Status.QUEUED, status_changed_at=now, next_attempt_at=now + timedelta(seconds=delay)
    )
    if moved:
        enqueue_delivery_in(notification, delay)


def hold(notification: Notification, decision: Decision, *, now: datetime) -> None:
    """Put a claimed row back to `queued` until `decision.until`: quiet hours end, or its digest goes.

    A quiet-hours hold is RQ's to wake (`enqueue_at`); a digest hold has no job: the digest
    run folds the row (`digests.py`). Neither is swept back before its time.
    """
    moved = Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
        status=Status.QUEUED,
        status_changed_at=now,
        scheduled_for=decision.until,
        next_attempt_at=decision.until,
        hold=decision.hold,
    )
    if moved and decision.hold == Hold.QUIET_HOURS:
        enqueue_delivery_at(notification, decision.until)


def finish(notification: Notification, status: str, *, error: str, suppression_reason: str = "") -> None:
    """End a claimed row without a provider call (suppressed, or cannot be rendered).

    A final row loses its names and links in the same UPDATE (a failed one keeps them: an
    operator may resend it).
    """
    changes: dict[str, Any] = {
        "status": status,
        "status_changed_at": timezone.now(),
        "last_error": error,
        "suppression_reason": suppression_reason,
    }
    if status in REDACTED_STATUSES:
        changes["context"] = context_redacted(notification.context)
    Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(**changes, next_attempt_at=None)
