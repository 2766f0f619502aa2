"""Accept notifications (one, a batch, a resend): save them `queued` and enqueue them after the commit.

The request was validated before it gets here (`validation.py`, called by the API's
serializers or by `notification_send`). Sending itself is `sending.py` (the worker's side),
putting stuck rows back is `sweep.py`, provider events are `tracking.py`.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications_app.models import Notification, Priority
from notifications_app.privacy import REDACTED_STATUSES
from notifications_app.queueing import enqueue_deliveries
from notifications_app.rate_limits import SendQuota, recipient_slot_take, send_quota_take, whole_seconds
from notifications_app.registry import category_of
from notifications_app.validation import SendRequest, send_request_validate
from vividly.errors import Conflict, DomainError, RateLimited

MAX_BATCH_RECIPIENTS = 1000


class RecipientRateLimited(RateLimited):
    code = "recipient_rate_limited"
    default_message = "Too many emails with this template to this address; try again later."


class SendQuotaExceeded(RateLimited):
    code = "send_quota_exceeded"
    default_message = "This service token has used up today's send quota (it starts over at midnight UTC)."


class NotificationRedacted(Conflict):
    code = "notification_redacted"
    default_message = (
        "This email is final, so its names and links were removed (privacy); it cannot be resent. "
        "Send a new email with its details instead."
    )


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    default_message = "This idempotency_key was already used with a different request."


@dataclass(frozen=True)
class Sender:
    """Who asks for the emails: recorded on each one, and the quota their token has (None: unlimited)."""

    requested_by: str = ""
    quota: SendQuota | None = None


SYSTEM = Sender()


def recipient_limit_check(request: SendRequest) -> None:
    """Raise RecipientRateLimited when this template already went to this address too often."""
    verdict = recipient_slot_take(address=request.to, template=request.template)
    if not verdict.allowed:
        raise RecipientRateLimited(
            f"{request.template!r} was sent to this address too often in the last hour.",
            retry_after=whole_seconds(verdict.retry_after),
        )


def send_quota_check(sender: Sender, count: int) -> None:
    """Raise SendQuotaExceeded when `count` more emails would pass the sender's daily quota."""
    if sender.quota is None or count == 0:
        return
    verdict = send_quota_take(quota=sender.quota, count=count, now=timezone.now())
    if not verdict.allowed:
        raise SendQuotaExceeded(
            details={"send_quota": sender.quota.per_day}, retry_after=whole_seconds(verdict.retry_after)
        )


def new_notification(request: SendRequest, sender: Sender, **fields: Any) -> Notification:
    """Return an unsaved, queued notification for `request`.

    A suppressed address is not looked up here: the worker checks it just before sending
    (an address may bounce while an email waits), marks the row `suppressed` and sends
    nothing. One place decides, and the accept path saves a query.
    """
    return Notification(
        to=request.to,
        template=request.template,
        category=category_of(request.template),
        context=request.context,
        priority=request.priority,
        requested_by=sender.requested_by,
        **fields,
    )


def replay(existing: Notification, request: SendRequest) -> Notification:
    """Return the notification first sent under an idempotency key, or raise a conflict."""
    if existing.request_fingerprint != request.fingerprint:
        raise IdempotencyConflict(details={"id": str(existing.pk)})
    return existing


def notification_accept(
    *,
    request: SendRequest,
    sender: Sender = SYSTEM,
    idempotency_key: str | None = None,
    enforce_recipient_limit: bool = True,
) -> Notification:
    """Accept one validated email: save it `queued`, and enqueue it after the commit.

    Order matters (the contract): an idempotent replay comes before the quota and the
    per-recipient limit, so a retried request uses up neither.
    If Redis is down, the row is saved anyway and the sweep enqueues it later.
    """
    if idempotency_key:
        existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return replay(existing, request)
    send_quota_check(sender, 1)
    if enforce_recipient_limit:
        recipient_limit_check(request)

    notification = new_notification(
        request,
        sender,
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


def notification_send(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    priority: str = Priority.NORMAL,
    idempotency_key: str | None = None,
    sender: Sender = SYSTEM,
    enforce_recipient_limit: bool = True,
) -> Notification:
    """Validate and accept one email, for in-process callers (the API validates in its serializer)."""
    request = send_request_validate(to=to, template=template, context=context, priority=priority)
    return notification_accept(
        request=request, sender=sender, idempotency_key=idempotency_key, enforce_recipient_limit=enforce_recipient_limit
    )


@dataclass
class BatchItem:
    to: Any
    notification: Notification | None = None
    error: DomainError | None = None


def notification_send_batch(
    *, items: list[BatchItem | SendRequest], sender: Sender = SYSTEM
) -> tuple[uuid.UUID, list[BatchItem]]:
    """Accept the valid emails of a batch and report the others in place, in request order.

    `items` holds a SendRequest per valid recipient and a BatchItem carrying its error per
    invalid one. The whole batch counts against the sender's quota, or is refused (429).
    """
    requests = [item for item in items if isinstance(item, SendRequest)]
    send_quota_check(sender, len(requests))
    batch_id = uuid.uuid4()
    answered: list[BatchItem] = []
    rows: list[Notification] = []
    for item in items:
        if isinstance(item, BatchItem):
            answered.append(item)
            continue
        try:
            recipient_limit_check(item)
        except DomainError as exc:
            answered.append(BatchItem(to=item.to, error=exc))
            continue
        rows.append(new_notification(item, sender, batch_id=batch_id))
        answered.append(BatchItem(to=item.to, notification=rows[-1]))
    with transaction.atomic():
        Notification.objects.bulk_create(rows, batch_size=500)
        transaction.on_commit(lambda: enqueue_deliveries(rows))
    return batch_id, answered


def notification_resend(*, notification: Notification, sender: Sender = SYSTEM) -> Notification:
    """Send the same email again as a new notification (an operator's decision: no recipient cap).

    A final email (delivered, bounced, rejected, suppressed) lost its names and links: there
    is nothing left to resend it with, so it is refused rather than sent without them.
    """
    if notification.status in REDACTED_STATUSES:
        raise NotificationRedacted(details={"status": notification.status})
    return notification_send(
        to=notification.to,
        template=notification.template,
        context=notification.context,
        priority=notification.priority,
        sender=sender,
        enforce_recipient_limit=False,
    )
