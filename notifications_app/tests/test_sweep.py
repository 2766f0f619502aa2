"""The sweep (`sweep.py`, `requeue_stuck_notifications`): a lost enqueue or a dead worker delays
an email, never drops it."""

import io
import logging
import os
import signal
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from devstack.redis_server import RedisServer
from devstack.sendgrid import Reply
from devstack.workers import alive, drain, kill_tree, process_tree, wait_until
from notifications_app.models import DeliveryAttempt, Notification, Outcome, ProviderEvent, Status
from notifications_app.queueing import queue, sending_lease_seconds
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.redis_guard import reset_breakers
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db(transaction=True)


def sweep(*args: str) -> str:
    out = io.StringIO()
    call_command("requeue_stuck_notifications", *args, stdout=out)
    return out.getvalue().strip()


def lost(minutes_ago: float = 10, **fields) -> Notification:
    """Save a queued notification whose job never reached Redis."""
    then = timezone.now() - timedelta(minutes=minutes_ago)
    sample = TEMPLATES["welcome_student"].sample
    return Notification.objects.create(
        to="maya@example.edu", template="welcome_student", context=sample, status_changed_at=then, **fields
    )


def abandoned(seconds_ago: float) -> Notification:
    """A row whose worker died during the provider call: `sending`, with a `started` attempt."""
    notification = lost(status=Status.SENDING, attempts=1)
    Notification.objects.filter(pk=notification.pk).update(
        status_changed_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    DeliveryAttempt.objects.create(notification=notification, number=1)
    return notification


def queued_total() -> int:
    return sum(queue(name).count for name in ("high", "default", "low"))


def test_a_send_while_redis_is_down_is_saved_and_swept_once_redis_is_back(sendgrid, service_client, settings, caplog):
    server = RedisServer().start()
    settings.CACHES = {**settings.CACHES, "state": redis_cache(f"{server.url}/0", prefix="vividly:state", timeout=None)}
    server.stop()
    sample = TEMPLATES["password_reset"].sample
    with caplog.at_level(logging.WARNING, logger="vividly.notifications"):
        response = service_client.post(
            "/internal/v1/notifications/send",
            {"to": "maya@example.edu", "template": "password_reset", "context": sample},
            format="json",
        )
    try:
        assert response.status_code == 202
        notification = Notification.objects.get(pk=response.json()["id"])
        assert notification.status == Status.QUEUED
        assert "the sweep will" in caplog.text

        server.start()
        reset_breakers()
        assert queued_total() == 0  # the job never reached Redis
        assert sweep("--older-than", "0") == "requeued 1 notification(s)"
        drain()
        notification.refresh_from_db()
        assert notification.status == Status.SENT and notification.attempts == 1
        # Sweeping again finds nothing: delivered exactly once.
        assert sweep("--older-than", "0") == "requeued 0 notification(s)"
        drain()
        assert len(sendgrid.payloads) == 1
    finally:
        server.stop()


def test_the_sweep_waits_for_older_than_after_the_last_change(sendgrid):
    fresh, old = lost(minutes_ago=1), lost(minutes_ago=10)
    assert sweep("--older-than", "300") == "requeued 1 notification(s)"
    assert [job.args[0] for job in queue("default").get_jobs()] == [str(old.pk)]
    # Requeued means due now: the next sweep gives that job a full period before repeating.
    assert sweep("--older-than", "300") == "requeued 0 notification(s)"
    drain()
    # The fresh one was not swept, but the old one's job took it along: a job claims the due
    # rows of its queue (`claims.py`), whatever put them there.
    assert {n.pk: n.status for n in Notification.objects.all()} == {fresh.pk: Status.SENT, old.pk: Status.SENT}


def test_the_sweep_respects_a_scheduled_retry_time(sendgrid):
    retry_at = timezone.now() + timedelta(minutes=5)
    lost(minutes_ago=30, next_attempt_at=retry_at)
    assert sweep("--older-than", "60") == "requeued 0 notification(s)"
    Notification.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=2))
    assert sweep("--older-than", "60") == "requeued 1 notification(s)"


def test_the_default_age_is_email_stuck_after_seconds(settings):
    settings.EMAIL_STUCK_AFTER_SECONDS = 900
    lost(minutes_ago=10)
    assert sweep() == "requeued 0 notification(s)"
    settings.EMAIL_STUCK_AFTER_SECONDS = 300
    assert sweep() == "requeued 1 notification(s)"


def test_an_abandoned_sending_row_is_sent_again_once(sendgrid):
    notification = abandoned(seconds_ago=sending_lease_seconds() + 5)
    assert sweep("--older-than", "60") == "requeued 1 notification(s)"
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 2
    attempts = DeliveryAttempt.objects.filter(notification=notification)
    assert [a.outcome for a in attempts] == [Outcome.ABANDONED, Outcome.SENT]
    assert len(sendgrid.payloads) == 1


def test_a_sending_row_is_left_alone_while_its_job_may_still_run(sendgrid):
    abandoned(seconds_ago=sending_lease_seconds() - 30)
    assert sweep("--older-than", "0") == "requeued 0 notification(s)"
    assert Notification.objects.get().status == Status.SENDING


def test_an_abandoned_row_the_provider_reported_on_is_not_sent_again(sendgrid):
    notification = abandoned(seconds_ago=sending_lease_seconds() + 5)
    ProviderEvent.objects.create(notification=notification, event_type="unknown", dedupe_key="x")
    assert sweep("--older-than", "0") == "requeued 0 notification(s)"
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.sent_at is not None
    assert DeliveryAttempt.objects.get().outcome == Outcome.SENT
    drain()
    assert sendgrid.payloads == []


def test_finished_rows_are_never_swept():
    for status in (Status.SENT, Status.DELIVERED, Status.FAILED, Status.BOUNCED, Status.SUPPRESSED):
        lost(minutes_ago=60, status=status)
    assert sweep("--older-than", "0") == "requeued 0 notification(s)"


# --- real `manage.py rqworker` and `run_sweeper` processes ------------------------------


def test_the_running_service_sweeps_by_itself(sendgrid, rqworker):
    notification = lost(minutes_ago=1)  # queued, but its job was lost; the sweeper runs beside the worker
    worker = rqworker.start(sendgrid, EMAIL_SWEEP_INTERVAL_SECONDS="1", EMAIL_STUCK_AFTER_SECONDS="2")
    wait_until(lambda: Notification.objects.get(pk=notification.pk).status == Status.SENT, what="the sweep")
    os.killpg(worker.pid, signal.SIGTERM)
    assert worker.wait(timeout=15) == 0
    assert len(sendgrid.payloads) == 1


def test_a_worker_killed_during_the_provider_call_leaves_a_row_the_sweep_sends_once_more(sendgrid, rqworker):
    sendgrid.script(Reply.hang(20))
    worker = rqworker.start(sendgrid)
    notification = send()
    wait_until(lambda: len(sendgrid.received) == 1, what="the provider call")
    processes = process_tree(worker.pid)
    kill_tree(worker)  # the machine dies: the worker and its scheduler at once
    assert len(processes) >= 3  # the supervisor, the worker and RQ's scheduler
    wait_until(lambda: not any(alive(pid) for pid in processes), timeout=5, what="the processes to die")

    notification.refresh_from_db()
    assert notification.status == Status.SENDING and notification.attempts == 1
    assert DeliveryAttempt.objects.get().outcome == Outcome.STARTED
    # Its job is gone with the worker; once the lease is over the sweep takes it back.
    Notification.objects.update(status_changed_at=timezone.now() - timedelta(seconds=sending_lease_seconds() + 1))
    assert sweep("--older-than", "0") == "requeued 1 notification(s)"
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 2
    assert [a.outcome for a in DeliveryAttempt.objects.all()] == [Outcome.ABANDONED, Outcome.SENT]
    # The one repeat the contract allows: the provider may have accepted the first call.
    assert len(sendgrid.payloads) == 2
