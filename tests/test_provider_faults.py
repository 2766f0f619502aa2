"""SendGrid answering 429 with rate-limit headers, then 5xx, then timing out: retries follow
the delays, the global rate limit holds over a burst, and nothing ends stuck in `sending`."""

import time
from datetime import datetime, timedelta

import pytest
from django.db.models import Q
from django.utils import timezone
from rq import Worker

from devstack.sendgrid import Reply
from devstack.sendgrid_webhook import SECRET, echoed_event, post
from devstack.workers import QUEUES, drain, run_one_job, scheduled_due_within, wait_until
from notifications_app.claims import CLAIM_SLACK
from notifications_app.models import DeliveryAttempt, Notification, Outcome, Status
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from notifications_app.services import notification_send
from tests.measurements import report
from vividly.redis_guard import client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TEMPLATE = "welcome_student"
SEND = "/internal/v1/notifications/send"


def send(to: str = "maya@example.edu") -> Notification:
    return notification_send(to=to, template=TEMPLATE, context=TEMPLATES[TEMPLATE].sample)


def run_until_finished(notification: Notification, timeout: float = 30.0) -> list[datetime | None]:
    """Run a worker in this process until `notification` is finished; return, after each
    attempt, when the row said the next one was due (its `next_attempt_at` then)."""
    due_after: list[datetime | None] = []
    deadline = time.monotonic() + timeout
    while True:
        run_one_job()
        notification.refresh_from_db()
        if notification.attempts > len(due_after) and notification.status != Status.SENDING:
            due_after.append(notification.next_attempt_at)
        if notification.status not in (Status.QUEUED, Status.SENDING):
            return due_after
        assert time.monotonic() < deadline, f"still {notification.status} after {timeout} s"
        time.sleep(0.05)


def check_retry_schedule(notification: Notification, due_after: list, waits: list[float]) -> list[dict]:
    """Assert each retry was due `waits[i]` after the failed attempt and ran no earlier than
    that (RQ's scheduler works in whole seconds: up to CLAIM_SLACK early); return the timings."""
    attempts = list(DeliveryAttempt.objects.filter(notification=notification))
    assert len(attempts) == len(waits) + 1
    assert len(due_after) >= len(waits)
    timings = []
    for attempt, following, due, wait in zip(attempts, attempts[1:], due_after, waits, strict=False):
        assert due is not None
        assert abs((due - attempt.finished_at).total_seconds() - wait) < 0.1
        assert following.started_at >= due - CLAIM_SLACK
        assert following.started_at <= due + timedelta(seconds=2)
        timings.append(
            {
                "attempt": attempt.number,
                "http_status": attempt.http_status,
                "planned_wait_s": round(wait, 2),
                "actual_wait_s": round((following.started_at - attempt.finished_at).total_seconds(), 2),
            }
        )
    return timings


def test_429_then_5xx_then_a_timeout_then_sent(sendgrid, settings):
    settings.EMAIL_RETRY_DELAYS = [1, 2, 2]
    # SendGrid's 429 says when its window resets: later than our first delay, so that wins.
    rate_limited = Reply.rate_limited(reset_in=3)
    reset_at = int(rate_limited.headers["X-RateLimit-Reset"])
    sendgrid.script(rate_limited, Reply.server_error(503), Reply.hang(1.5), Reply.accepted())
    started = time.monotonic()
    notification = send()
    due_after = run_until_finished(notification)

    attempts = list(DeliveryAttempt.objects.filter(notification=notification))
    assert notification.status == Status.SENT and notification.next_attempt_at is None
    assert notification.attempts == 4 == len(sendgrid.payloads)
    assert [a.outcome for a in attempts] == [Outcome.TRANSIENT_ERROR] * 3 + [Outcome.SENT]
    assert [a.http_status for a in attempts] == [429, 503, None, 202]  # None: no answer in time
    waits = [reset_at - attempts[0].finished_at.timestamp(), 2.0, 2.0]
    assert waits[0] > 1.5  # the reset header, not the 1 s delay
    timings = check_retry_schedule(notification, due_after, waits)
    assert not Notification.objects.filter(status=Status.SENDING).exists()
    report(
        "sendgrid_429_5xx_timeout_then_sent",
        provider_calls=len(sendgrid.payloads),
        replies=[r.status for r in sendgrid.received],
        retries=timings,
        final_status=notification.status,
        # The timed-out call was answered 202 after the client gave up: SendGrid may send it.
        accepted_by_provider=sum(1 for r in sendgrid.received if r.status == 202),
        seconds=round(time.monotonic() - started, 2),
    )


def test_transient_errors_until_the_last_retry_fail_the_email(sendgrid, settings):
    settings.EMAIL_RETRY_DELAYS = [0.2, 0.4, 0.2]
    sendgrid.script(Reply.rate_limited(reset_in=0), Reply.server_error(500), Reply.hang(1.5), Reply.server_error(502))
    started = time.monotonic()
    notification = send()
    due_after = run_until_finished(notification)

    attempts = list(DeliveryAttempt.objects.filter(notification=notification))
    assert notification.status == Status.FAILED and notification.next_attempt_at is None
    assert notification.attempts == 4 == len(sendgrid.payloads) == len(settings.EMAIL_RETRY_DELAYS) + 1
    assert [a.outcome for a in attempts] == [Outcome.TRANSIENT_ERROR] * 4
    assert [a.http_status for a in attempts] == [429, 500, None, 502]
    assert "502" in notification.last_error
    assert due_after[-1] is None  # no retry after the last one
    timings = check_retry_schedule(notification, due_after[:-1], [0.2, 0.4, 0.2])
    assert not Notification.objects.filter(status=Status.SENDING).exists()
    report(
        "sendgrid_transient_until_failed",
        provider_calls=len(sendgrid.payloads),
        replies=[r.status for r in sendgrid.received],
        retries=timings,
        final_status=notification.status,
        seconds=round(time.monotonic() - started, 2),
    )


def busiest_window(times: list[float], seconds: float = 60.0) -> int:
    """Return the most calls in any `seconds`-long window."""
    times = sorted(times)
    return max((sum(1 for t in times[i:] if t < start + seconds) for i, start in enumerate(times)), default=0)


def test_the_global_rate_limit_holds_over_a_burst(service_client, sendgrid, rqworker):
    """Two real workers share EMAIL_RATE_LIMIT_PER_MINUTE = 10 over a burst of 40 emails,
    while SendGrid refuses the first two calls (429, then 503) and those are retried."""
    limit, n = 10, 40
    # Single sends as one provider call each (`EMAIL_GROUP_SINGLE_SENDS` off): grouped calls
    # count each recipient against the limit (`test_grouping.py`, the cluster test).
    env = {
        "EMAIL_RATE_LIMIT_PER_MINUTE": str(limit),
        "EMAIL_RETRY_DELAYS": "1,1,1",
        "EMAIL_GROUP_SINGLE_SENDS": "false",
    }
    for _ in range(2):
        rqworker.start(sendgrid, **env)
    wait_until(lambda: Worker.count(connection=client("state")) == 2, what="both workers to start")
    sendgrid.script(Reply.rate_limited(reset_in=1), Reply.server_error(503))

    started = time.monotonic()
    for number in range(n):
        body = {"to": f"learner{number}@example.edu", "template": TEMPLATE, "context": TEMPLATES[TEMPLATE].sample}
        assert service_client.post(SEND, body, format="json").status_code == 202

    def settled() -> bool:
        # Every email sent, or waiting for the window to move on; none in the provider's hands.
        soon = timezone.now() + timedelta(seconds=30)
        unsettled = Notification.objects.filter(
            Q(status=Status.SENDING)
            | Q(status=Status.QUEUED, next_attempt_at__isnull=True)
            | Q(status=Status.QUEUED, next_attempt_at__lt=soon)
        )
        return not unsettled.exists()

    wait_until(settled, timeout=30, what="the burst to settle")
    time.sleep(2)  # the retries of the two refused calls are due by now: they must wait too
    settled_in = time.monotonic() - started

    calls = [received.at for received in sendgrid.received]
    waiting = list(Notification.objects.filter(status=Status.QUEUED))
    sent = Notification.objects.filter(status=Status.SENT)
    first_call = min(calls)
    waits = [row.next_attempt_at.timestamp() - first_call for row in waiting]
    report(
        "global_rate_limit_burst",
        limit_per_minute=limit,
        workers=2,
        emails=n,
        provider_calls=len(calls),
        busiest_60s_window=busiest_window(calls),
        calls_spread_s=round(max(calls) - first_call, 2),
        replies=[r.status for r in sendgrid.received],
        sent=sent.count(),
        waiting_for_the_window=len(waiting),
        waiting_due_after_first_call_s={"min": round(min(waits), 2), "max": round(max(waits), 2)},
        attempts_recorded=DeliveryAttempt.objects.count(),
        seconds=round(settled_in, 2),
    )
    assert len(calls) == limit == busiest_window(calls)
    # Each accepted call sent one row; a refused one's retry may take one of the 10 slots too
    # (a job claims the due rows of its queue, retries included), or wait for the window.
    assert sent.count() == sum(1 for r in sendgrid.received if r.status == 202) >= limit - 2
    assert len(waiting) == n - sent.count()
    # A wait for the rate limiter is not an attempt; the two refused calls are.
    assert DeliveryAttempt.objects.count() == limit == sum(Notification.objects.values_list("attempts", flat=True))
    assert all(row.attempts <= 1 for row in waiting)
    # Each waits for the moving window to free a slot: a minute after the first call, plus jitter.
    assert all(59 < wait < 62 for wait in waits)
    scheduled = sum(queue(name).scheduled_job_registry.count for name in QUEUES)
    assert scheduled >= len(waiting)  # and each has its job scheduled for then
    assert not Notification.objects.filter(status__in=[Status.SENDING, Status.FAILED]).exists()


def test_a_timed_out_call_is_not_sent_again_once_sendgrid_reports_it(client, sendgrid, settings):
    """The other window for a repeat: SendGrid accepted a call whose answer never came.

    The retry waits its delay; SendGrid's `processed` event, normally seconds away, moves
    the row on meanwhile, and the retry's job finds nothing to claim.
    """
    settings.EMAIL_RETRY_DELAYS = [2, 2, 2]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    sendgrid.script(Reply.hang(1.5))  # 202, after the client gave up at 0.5 s
    notification = send()
    run_one_job()
    notification.refresh_from_db()
    assert notification.status == Status.QUEUED and notification.attempts == 1
    assert DeliveryAttempt.objects.get().http_status is None

    [payload] = sendgrid.payloads
    assert post(client, [echoed_event(payload, "processed")]).status_code == 200
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.sent_at is not None
    drain()  # waits for the retry's job to fall due and runs it: it claims nothing
    assert scheduled_due_within(3600) == 0
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 1
    assert len(sendgrid.payloads) == 1
