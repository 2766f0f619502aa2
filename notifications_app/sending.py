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
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from notifications_app.attempt_rows import attempt_insert, outcome_write
from notifications_app.claims import notifications_claim
from notifications_app.delivery_rules import Decision, delivery_decisions
from notifications_app.grouping import Group, group_send, groups_of
from notifications_app.models import DeliveryAttempt, Hold, Notification, Outcome, Status
from notifications_app.privacy import REDACTED_STATUSES, context_redacted
from notifications_app.provider import SendFailure, classify, provider_send, unsubscribe_link
from notifications_app.queueing import (
    enqueue_deliveries,
    enqueue_delivery_at,
    enqueue_delivery_in,
    job_timeout_seconds,
)
from notifications_app.rate_limits import send_slots_take
from notifications_app.rendering import render_email

logger = logging.getLogger("vividly.notifications")

SUPPRESSION_MESSAGES = {
    "hard_bounce": "Not sent: this address is suppressed (it bounced).",
    "unsubscribed": "Not sent: the recipient unsubscribed from this category.",
    "complaint": "Not sent: the recipient reported an email as spam.",
    "preference": "Not sent: the recipient turned this category off.",
}


def notification_deliver(*, notification_id: str, now: datetime | None = None) -> str:
    """Send the notification `notification_id` if this job can claim it, with the other due rows of
    its queue this job claims along (`claims.py`); return what happened to `notification_id`.

    `now` is the clock quiet hours and digests are read with (the tests pass one).
    """
    now = now or timezone.now()
    rows = notifications_claim(notification_id=notification_id, now=now)
    if not rows:
        # Sent, finished, claimed by another job, or not due yet (its own job is scheduled).
        return "not_claimed"
    return claimed_deliver(rows, now=now)[rows[0].pk]


def claimed_deliver(rows: list[Notification], *, now: datetime) -> dict[Any, str]:
    """Send, hold or suppress each claimed row, in order; return what happened to each, by id."""
    results: dict[Any, str] = {}
    decisions = delivery_decisions(rows, now=now)
    sendable = []
    for row in rows:
        decision = decisions[row.pk]
        if decision.action == "suppress":
            message = SUPPRESSION_MESSAGES.get(decision.reason, "Not sent.")
            finish(row, Status.SUPPRESSED, error=message, suppression_reason=decision.reason)
            results[row.pk] = "suppressed"
        elif decision.action == "hold":
            hold(row, decision, now=now)
            results[row.pk] = "held"
        else:
            sendable.append(row)

    granted, retry_after = send_slots_take(len(sendable))
    for row in sendable[granted:]:
        # Waiting for the global rate is not an attempt: no provider call was made.
        reschedule(row, retry_after + random.uniform(0, 1))
        results[row.pk] = "rate_limited"

    groups, alone = groups_of(sendable[:granted])
    calls: list[Group | Notification] = [*groups, *alone]
    run = SendRun(started=time.monotonic())
    for index, call in enumerate(calls):
        if run.out_of_time():
            # A slow provider (timeouts) is using up this job's time limit: the rest go back
            # on the queue for the next job, as if this one had never claimed them.
            run.settle()
            rest = [row for later in calls[index:] for row in rows_of(later)]
            release(rest)
            results.update({row.pk: "released" for row in rest})
            break
        if isinstance(call, Group):
            run.settle()
            results.update(run.send_group(call))
        else:
            results[call.pk] = run.send(call)
    run.settle()
    return results


def rows_of(call: "Group | Notification") -> list[Notification]:
    return call.notifications if isinstance(call, Group) else [call]


class SendRun:
    """One job's provider calls, one after another, with the writes around them folded.

    Before each call, one transaction commits this email's `started` attempt together with
    the previous email's `sent` outcome: the attempt row is always committed before its
    call, and at most one email (the one in the provider's hands) is ever unrecorded, as
    with one job per email. The sent rows' own status is written for the whole run at the
    end (`settle`); a worker that dies before that leaves them `sending` with a `sent`
    attempt, which the sweep reads as sent (`sweep.py`), never as a reason to send again.
    """

    def __init__(self, *, started: float) -> None:
        self.started = started
        # The sent attempt whose outcome is not committed yet: (attempt id, outcome fields).
        self.unrecorded: tuple[int, dict[str, Any]] | None = None
        # Rows sent in this run, with their provider message ids: their status is settled at the end.
        self.sent: list[tuple[Notification, str]] = []

    def out_of_time(self) -> bool:
        """Return True once half the job's time limit is gone: the next call could outlast it."""
        return time.monotonic() - self.started > job_timeout_seconds() / 2

    def send(self, notification: Notification) -> str:
        link = unsubscribe_link(notification)
        try:
            rendered = render_email(notification.template, notification.context, unsubscribe_url=link)
        except Exception as exc:
            # The context was checked at request time; a template changed since then.
            logger.exception("notification %s cannot be rendered", notification.pk)
            finish(notification, Status.FAILED, error=f"Template error: {exc}")
            return "failed"

        attempt = attempt_start(notification, previous=self.unrecorded)
        self.unrecorded = None
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
        self.unrecorded = (
            attempt.pk,
            {
                "outcome": Outcome.SENT,
                "finished_at": timezone.now(),
                "duration_ms": elapsed_ms(started),
                "http_status": http_status,
                "provider_message_id": message_id,
            },
        )
        self.sent.append((notification, message_id))
        return "sent"

    def send_group(self, group: Group) -> dict[Any, str]:
        """Send a group as one provider call; return what happened to each member.

        All its attempts are committed `started` before the call: a worker that dies during
        it leaves every member to the sweep, which sends each again (the one repeat the
        contract allows, here for a whole call). SendGrid refuses a whole call for one bad
        personalization (a 400 names no recipient), so a permanent failure is not blamed on
        everyone: each member is then sent alone, and only its own failure counts.
        """
        attempts = attempts_start(group.notifications)
        started = time.monotonic()
        try:
            message_ids, http_status = group_send(group)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then classified
            failure = classify(exc)
            logger.warning("a grouped call of %d emails failed: %s", len(group.members), failure.error)
            if failure.transient:
                return {
                    row.pk: record_failure(row, attempts[row.pk], failure, elapsed_ms(started))
                    for row in group.notifications
                }
            attempts_finish(attempts.values(), Outcome.PERMANENT_ERROR, failure, elapsed_ms(started))
            return {row.pk: self.send(row) for row in group.notifications}
        with transaction.atomic():
            DeliveryAttempt.objects.filter(pk__in=[attempt.pk for attempt in attempts.values()]).update(
                outcome=Outcome.SENT,
                finished_at=timezone.now(),
                duration_ms=elapsed_ms(started),
                http_status=http_status,
            )
            message_ids_set(
                DeliveryAttempt,
                [(message_ids[attempt.notification_id], attempt.pk) for attempt in attempts.values()],
                only_empty=False,
            )
            records_sent([(row, message_ids[row.pk]) for row in group.notifications])
        return dict.fromkeys(message_ids, "sent")

    def settle(self) -> None:
        """Commit the last sent outcome and the status of every row sent so far."""
        if self.unrecorded is None and not self.sent:
            return
        with transaction.atomic():
            if self.unrecorded is not None:
                with connection.cursor() as cursor:
                    outcome_write(cursor, *self.unrecorded)
            if self.sent:
                records_sent(self.sent)
        self.unrecorded, self.sent = None, []


def elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def attempt_start(notification: Notification, *, previous: tuple[int, dict[str, Any]] | None = None) -> DeliveryAttempt:
    """Record the attempt as `started` and commit it, before the provider is called; with
    `previous`, commit the last call's outcome in the same transaction.

    The number comes from the row this job loaded after claiming it: while it is
    `sending`, no other job touches it. The statements are hand-written (`attempt_rows.py`):
    this transaction runs once per email sent alone.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        if previous is not None:
            outcome_write(cursor, *previous)
        attempt = attempt_insert(cursor, notification, number=notification.attempts + 1, started_at=timezone.now())
    notification.attempts += 1
    return attempt


def attempts_start(notifications: list[Notification]) -> dict[Any, DeliveryAttempt]:
    """Record and commit a `started` attempt for each of `notifications` (a grouped call), by notification id."""
    ids = [notification.pk for notification in notifications]
    with transaction.atomic():
        Notification.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
        for notification in notifications:
            notification.attempts += 1
        created = DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(notification=notification, number=notification.attempts) for notification in notifications
        )
    return {attempt.notification_id: attempt for attempt in created}


def attempts_finish(attempts: Any, outcome: str, failure: SendFailure, duration_ms: int) -> None:
    """Record one failed grouped call on each of its attempts."""
    now = timezone.now()
    DeliveryAttempt.objects.filter(pk__in=[attempt.pk for attempt in attempts]).update(
        outcome=outcome, finished_at=now, duration_ms=duration_ms, http_status=failure.http_status, error=failure.error
    )


def records_sent(sent: list[tuple[Notification, str]]) -> None:
    """Mark rows the provider accepted `sent`, with their message ids (inside the caller's transaction)."""
    now = timezone.now()
    ids = [notification.pk for notification, _ in sent]
    rows = Notification.objects.filter(pk__in=ids)
    rows.filter(status=Status.SENDING).update(
        status=Status.SENT, status_changed_at=now, sent_at=now, last_error="", next_attempt_at=None
    )
    # A provider event got here first (delivered, say): its status stays, the gaps are filled.
    rows.filter(sent_at__isnull=True).update(sent_at=now)
    # Only where no provider event set it first (anymail's id, which the events carry too).
    message_ids_set(Notification, [(message_id, row.pk) for row, message_id in sent], only_empty=True)


def message_ids_set(model: type[Notification] | type[DeliveryAttempt], pairs: list, *, only_empty: bool) -> None:
    """Set `provider_message_id` of each (message id, pk) in one statement run with many parameters.

    Django's `bulk_update` builds a CASE of every row: 4 of the 8 s a 1,000-email batch took here.
    """
    table, pk = connection.ops.quote_name(model._meta.db_table), model._meta.pk
    condition = " AND provider_message_id = ''" if only_empty else ""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET provider_message_id = %s WHERE {pk.column} = %s{condition}",  # noqa: S608 - our own table
            [(message_id, pk.get_db_prep_value(key, connection)) for message_id, key in pairs],
        )


def record_sent(
    notification: Notification, attempt: DeliveryAttempt, *, message_id: str, http_status: int | None, duration_ms: int
) -> None:
    """Record one accepted call: its attempt's outcome and the row's status, in one transaction."""
    outcome = {
        "outcome": Outcome.SENT,
        "finished_at": timezone.now(),
        "duration_ms": duration_ms,
        "http_status": http_status,
        "provider_message_id": message_id,
    }
    with transaction.atomic():
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(**outcome)
        records_sent([(notification, message_id)])


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


def release(notifications: list[Notification]) -> None:
    """Put claimed rows back to `queued`, due now, and on the queue again (no attempt was made)."""
    now = timezone.now()
    with transaction.atomic():
        moved = [
            notification
            for notification in notifications
            if Notification.objects.filter(pk=notification.pk, status=Status.SENDING).update(
                status=Status.QUEUED, status_changed_at=now, next_attempt_at=now
            )
        ]
        transaction.on_commit(lambda: enqueue_deliveries(moved))


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
