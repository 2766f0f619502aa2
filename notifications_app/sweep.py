"""Put stuck notifications back on their queue: the periodic sweep, its command and the admin's requeue.

This is what makes "nothing accepted is lost" true when an enqueue was lost (Redis down
at accept time, or restarted without persistence) or a worker died mid-send.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications_app.models import DeliveryAttempt, Notification, Outcome, Status
from notifications_app.queueing import enqueue_deliveries, sending_lease_seconds
from notifications_app.selectors import stuck_notifications, with_event_flag

logger = logging.getLogger("vividly.notifications")

# Rows the sweep handles per transaction.
SWEEP_CHUNK = 500


def requeue_rows(rows: list[Notification], *, now: datetime) -> list[Notification]:
    """Put back `rows` (queued, or sending with no worker left): return those now queued.

    A `sending` row may have a `started` attempt: its worker stopped during the provider
    call and nobody knows whether the email left. It is sent again (the one repeat the
    contract allows) unless a provider event already proved that the provider accepted it.
    A `sending` row with a `sent` attempt was accepted: it is marked sent, never sent again.
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
            if row.sent_message_id is not None:
                # Its worker recorded the provider's answer but died before the row's own status
                # (a run's statuses are written at its end, `sending.SendRun`): it was sent.
                moved = claimed.update(
                    status=Status.SENT,
                    status_changed_at=now,
                    sent_at=row.sent_at or now,
                    provider_message_id=row.provider_message_id or row.sent_message_id,
                    last_error="",
                    next_attempt_at=None,
                )
                if moved:
                    logger.info("notification %s: sent before its worker stopped, marked sent", row.pk)
                continue
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


def notifications_requeue_stuck(*, older_than: float, now: datetime | None = None) -> int:
    """Put back on their queue every notification stuck in `queued` or `sending`; return how many."""
    total = 0
    now = now or timezone.now()
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
