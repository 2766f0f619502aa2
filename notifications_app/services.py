"""Accept notifications (one, a batch, a resend), and put stuck ones back on their queue.

Sending itself is `delivery.py` (the worker's side); provider events are `tracking.py`.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template import TemplateDoesNotExist
from django.utils import timezone
from jinja2 import TemplateError

from notifications_app.models import (
    DeliveryAttempt,
    Notification,
    Outcome,
    Priority,
    ProviderEvent,
    Status,
)
from notifications_app.queueing import enqueue_deliveries, sending_lease_seconds
from notifications_app.rate_limits import recipient_slot_take, whole_seconds
from notifications_app.registry import TEMPLATES, template_spec
from notifications_app.rendering import render_email
from vividly.errors import Conflict, DomainError, InvalidInput, RateLimited

logger = logging.getLogger("vividly.notifications")

MAX_BATCH_RECIPIENTS = 1000
# Rows the sweep handles per transaction.
SWEEP_CHUNK = 500


class RecipientRateLimited(RateLimited):
    code = "recipient_rate_limited"
    default_message = "Too many emails with this template to this address; try again later."


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_message = "This idempotency_key was already used with a different request."


@dataclass(frozen=True)
class SendRequest:
    """A send that passed validation: a known template, a valid address, the context it needs."""

    to: str
    template: str
    context: dict[str, Any]
    priority: str

    @property
    def fingerprint(self) -> str:
        """Return a digest of the request, to tell a replay from a conflicting reuse of a key."""
        canonical = json.dumps(
            [self.to.lower(), self.template, self.context, self.priority], sort_keys=True, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def context_errors(template: str, context: Any) -> list[str]:
    """Return what is wrong with `context` for `template` (empty when it will render)."""
    if not isinstance(context, dict):
        return ["Must be a JSON object."]
    spec = template_spec(template)
    if spec is None:
        return []
    errors = [
        f"Missing variable {name!r}, required by {template!r}."
        for name in spec.required
        if context.get(name) is None or context.get(name) == ""
    ]
    # Every `*_url` variable becomes a link (an optional unsubscribe_url too, also a header).
    for name, value in context.items():
        if name.endswith("_url") and value not in (None, "") and not (isinstance(value, str) and is_web_url(value)):
            errors.append(f"Variable {name!r} must be an absolute http(s) URL.")
    return errors


def is_web_url(value: str) -> bool:
    """Return True for an absolute http(s) URL (a `javascript:` link in an email is an attack)."""
    if any(char.isspace() or not char.isprintable() for char in value):
        return False  # urlsplit would silently drop a CR/LF, which must not reach a header
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def send_request_validate(*, to: str, template: str, context: Any, priority: str = Priority.NORMAL) -> SendRequest:
    """Return the validated request, or raise InvalidInput listing every problem per field.

    The template is rendered once here, so an email that cannot render is refused now
    (400) instead of failing later in the worker.
    """
    details: dict[str, list[str]] = {}
    to = (to or "").strip()
    try:
        validate_email(to)
    except DjangoValidationError:
        details["to"] = ["Enter a valid email address."]
    if template_spec(template) is None:
        details["template"] = [f"Unknown template {template!r}; known: {', '.join(sorted(TEMPLATES))}."]
    if errors := context_errors(template, context):
        details["context"] = errors
    if priority not in Priority.values:
        details["priority"] = [f"Must be one of {', '.join(Priority.values)}."]
    if not details:
        try:
            render_email(template, context)
        except (TemplateError, TemplateDoesNotExist, TypeError, ValueError) as exc:
            details["context"] = [f"The template cannot be rendered with this context: {exc}"]
    if details:
        raise InvalidInput(details=details)
    return SendRequest(to=to, template=template, context=context, priority=priority)


def recipient_limit_check(request: SendRequest) -> None:
    """Raise RecipientRateLimited when this template already went to this address too often."""
    verdict = recipient_slot_take(address=request.to, template=request.template)
    if not verdict.allowed:
        raise RecipientRateLimited(
            f"{request.template!r} was sent to this address too often in the last hour.",
            retry_after=whole_seconds(verdict.retry_after),
        )


def new_notification(request: SendRequest, **fields: Any) -> Notification:
    """Return an unsaved, queued notification for `request`.

    A suppressed address is not looked up here: the worker checks it just before sending
    (an address may bounce while an email waits), marks the row `suppressed` and sends
    nothing. One place decides, and the accept path saves a query.
    """
    return Notification(
        to=request.to, template=request.template, context=request.context, priority=request.priority, **fields
    )


def replay(existing: Notification, request: SendRequest) -> Notification:
    """Return the notification first sent under an idempotency key, or raise a conflict."""
    if existing.request_fingerprint != request.fingerprint:
        raise IdempotencyConflict(details={"id": str(existing.pk)})
    return existing


def notification_send(
    *,
    to: str,
    template: str,
    context: Any,
    priority: str = Priority.NORMAL,
    idempotency_key: str | None = None,
    enforce_recipient_limit: bool = True,
) -> Notification:
    """Accept one email: validate, save it `queued`, and enqueue it after the commit.

    Order matters (the contract): validation and an idempotent replay come before the
    per-recipient limit, so neither a bad request nor a retried one uses up a slot.
    If Redis is down, the row is saved anyway and the sweep enqueues it later.
    """
    request = send_request_validate(to=to, template=template, context=context, priority=priority)
    if idempotency_key:
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return replay(existing, request)
    if enforce_recipient_limit:
        recipient_limit_check(request)

    notification = new_notification(
        request,
        idempotency_key=idempotency_key or None,
        request_fingerprint=request.fingerprint if idempotency_key else "",
    )
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
            transaction.on_commit(lambda: enqueue_deliveries([notification]))
    except IntegrityError:
        if not idempotency_key:
            raise
        # Two requests with the same key raced; the other one saved first.
        return replay(Notification.objects.get(idempotency_key=idempotency_key), request)
    return notification


@dataclass
class BatchItem:
    to: Any
    notification: Notification | None = None
    error: DomainError | None = None


def batch_item_request(*, template: str, priority: str, item: Any) -> SendRequest:
    """Validate one recipient of a batch; raise InvalidInput for it alone."""
    if not isinstance(item, dict):
        raise InvalidInput("Each recipient must be a JSON object with `to` and `context`.")
    to = item.get("to")
    if not isinstance(to, str):
        raise InvalidInput(details={"to": ["Enter a valid email address."]})
    request = send_request_validate(to=to, template=template, context=item.get("context", {}), priority=priority)
    recipient_limit_check(request)
    return request


def error_summary(error: DomainError) -> str:
    """Return one line naming each invalid field, for a batch item's error message."""
    if not error.details:
        return error.message
    return " ".join(f"{field}: {' '.join(map(str, messages))}" for field, messages in error.details.items())


def notification_send_batch(
    *, template: str, recipients: list[Any], priority: str = Priority.NORMAL
) -> tuple[uuid.UUID, list[BatchItem]]:
    """Accept up to 1000 emails of one template: queue the valid ones, report the others per item."""
    if template_spec(template) is None:
        raise InvalidInput(details={"template": [f"Unknown template {template!r}."]})
    if priority not in Priority.values:
        raise InvalidInput(details={"priority": [f"Must be one of {', '.join(Priority.values)}."]})
    if not 1 <= len(recipients) <= MAX_BATCH_RECIPIENTS:
        raise InvalidInput(details={"recipients": [f"Send between 1 and {MAX_BATCH_RECIPIENTS} recipients."]})

    batch_id = uuid.uuid4()
    items: list[BatchItem] = []
    accepted: list[tuple[BatchItem, SendRequest]] = []
    for raw in recipients:
        item = BatchItem(to=raw.get("to") if isinstance(raw, dict) else None)
        try:
            accepted.append((item, batch_item_request(template=template, priority=priority, item=raw)))
        except DomainError as exc:
            item.error = exc
        items.append(item)

    for item, request in accepted:
        item.notification = new_notification(request, batch_id=batch_id)
    rows = [item.notification for item, _ in accepted]
    with transaction.atomic():
        Notification.objects.bulk_create(rows, batch_size=500)
        transaction.on_commit(lambda: enqueue_deliveries(rows))
    return batch_id, items


def notification_resend(*, notification: Notification) -> Notification:
    """Send the same email again as a new notification (an operator's decision: no recipient cap)."""
    return notification_send(
        to=notification.to,
        template=notification.template,
        context=notification.context,
        priority=notification.priority,
        enforce_recipient_limit=False,
    )


def with_event_flag(rows: Any) -> Any:
    """Annotate each row with `has_events`: did the provider report anything for it?"""
    return rows.annotate(has_events=Exists(ProviderEvent.objects.filter(notification=OuterRef("pk"))))


def requeue_rows(rows: list[Notification], *, now: Any) -> list[Notification]:
    """Put back `rows` (queued, or sending with no worker left): return those now queued.

    A `sending` row may have a `started` attempt: its worker stopped during the provider
    call and nobody knows whether the email left. It is sent again (the one repeat the
    contract allows) unless a provider event already proved that the provider accepted it.
    """
    requeued: list[Notification] = []
    with transaction.atomic():
        for row in rows:
            if row.status == Status.QUEUED:
                # Its new due time is now, so the next sweep gives this job a full period.
                if Notification.objects.filter(pk=row.pk, status=Status.QUEUED).update(next_attempt_at=now):
                    requeued.append(row)
                continue
            # `sending`: change it only if no worker moved it meanwhile (same change time).
            claimed = Notification.objects.filter(
                pk=row.pk, status=Status.SENDING, status_changed_at=row.status_changed_at
            )
            if row.has_events:
                moved = claimed.update(status=Status.SENT, status_changed_at=now, sent_at=row.sent_at or now)
                outcome, error = Outcome.SENT, "The provider reported events for it: it was accepted."
            else:
                moved = claimed.update(status=Status.QUEUED, status_changed_at=now, next_attempt_at=now)
                outcome, error = Outcome.ABANDONED, "The worker stopped during the provider call; outcome unknown."
                if moved:
                    requeued.append(row)
            if moved:
                DeliveryAttempt.objects.filter(notification=row, outcome=Outcome.STARTED).update(
                    outcome=outcome, finished_at=now, error=error
                )
        transaction.on_commit(lambda: enqueue_deliveries(requeued))
    return requeued


def stuck_notifications(*, older_than: float, now: Any) -> Any:
    """Return the rows still queued or sending `older_than` seconds after max(last state
    change, scheduled retry time); `sending` ones only once no job can still be running."""
    cutoff = now - timedelta(seconds=older_than)
    lease_cutoff = now - timedelta(seconds=max(older_than, sending_lease_seconds()))
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=cutoff)
    stuck = Notification.objects.filter(due).filter(
        Q(status=Status.QUEUED, status_changed_at__lte=cutoff)
        | Q(status=Status.SENDING, status_changed_at__lte=lease_cutoff)
    )
    return with_event_flag(stuck).order_by("status_changed_at")


def notifications_requeue_stuck(*, older_than: float) -> int:
    """Put back on their queue every notification stuck in `queued` or `sending`; return how many.

    This is what makes "nothing accepted is lost" true when an enqueue was lost (Redis
    down at accept time, or restarted without persistence) or a worker died mid-send.
    """
    total = 0
    now = timezone.now()
    stuck = stuck_notifications(older_than=older_than, now=now)
    ids = list(stuck.values_list("pk", flat=True))
    for start in range(0, len(ids), SWEEP_CHUNK):
        # Filtered again: a row a worker moved since the ids were read is left alone.
        rows = list(stuck.filter(pk__in=ids[start : start + SWEEP_CHUNK]))
        total += len(requeue_rows(rows, now=now))
    if total:
        logger.info("sweep requeued %d stuck notification(s)", total)
    return total


def notification_requeue(*, notification: Notification) -> bool:
    """Put one notification back on its queue now (the admin's action); False if it cannot be.

    A queued row goes at once, even one waiting for a retry; a sending row only once no job
    can still be running it, since requeueing a live send would send it twice.
    """
    now = timezone.now()
    lease_cutoff = now - timedelta(seconds=sending_lease_seconds())
    rows = with_event_flag(
        Notification.objects.filter(pk=notification.pk).filter(
            Q(status=Status.QUEUED) | Q(status=Status.SENDING, status_changed_at__lte=lease_cutoff)
        )
    )
    return bool(requeue_rows(list(rows), now=now))
