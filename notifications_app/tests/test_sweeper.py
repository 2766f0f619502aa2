"""The periodic sweeper (`sweeper.py`, `manage.py run_sweeper`): one sweeper per interval, and
the loop goes on through a Redis outage. Time is injected: no test here sleeps."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from devstack.redis_server import RedisServer
from notifications_app.models import Notification
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from notifications_app.sweeper import SWEEP_LOCK_KEY, sweep_once, sweeper_run
from vividly.redis_guard import client, reset_breakers
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db(transaction=True)


def lost() -> Notification:
    """Save a queued notification whose job never reached Redis, ten minutes ago."""
    then = timezone.now() - timedelta(minutes=10)
    sample = TEMPLATES["welcome_student"].sample
    return Notification.objects.create(
        to="maya@example.edu", template="welcome_student", context=sample, status_changed_at=then
    )


def ticks(count: int, waits: list[float]):
    """Return a `wait` for sweeper_run that records each wait and asks to stop after `count` sweeps."""

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return len(waits) >= count

    return wait


def test_one_sweeper_sweeps_per_interval(settings):
    settings.EMAIL_SWEEP_INTERVAL_SECONDS = 60
    lost()
    assert sweep_once(owner="host-a:1") == 1
    lost()
    assert sweep_once(owner="host-b:2") is None  # the other sweeper swept within the interval
    assert client("state").get(SWEEP_LOCK_KEY) == b"host-a:1"
    assert 0 < client("state").ttl(SWEEP_LOCK_KEY) <= 59  # gone just before the next tick
    client("state").delete(SWEEP_LOCK_KEY)  # the interval is over
    assert sweep_once(owner="host-b:2") == 1
    assert queue("default").count == 2


def test_the_loop_sweeps_every_interval_until_asked_to_stop(settings):
    settings.EMAIL_SWEEP_INTERVAL_SECONDS = 30
    waits: list[float] = []
    lost()
    sweeper_run(owner="host-a:1", wait=ticks(3, waits))
    assert len(waits) == 3 and all(29 < seconds <= 30 for seconds in waits)
    assert queue("default").count == 1


def test_the_loop_goes_on_through_a_redis_outage(settings, caplog):
    server = RedisServer().start()
    settings.CACHES = {**settings.CACHES, "state": redis_cache(f"{server.url}/0", prefix="vividly:state", timeout=None)}
    settings.REDIS_BREAKER_RESET_SECONDS = 0
    reset_breakers()
    try:
        server.stop()
        lost()
        waits: list[float] = []
        with caplog.at_level(logging.WARNING, logger="vividly.notifications"):
            sweeper_run(owner="host-a:1", wait=ticks(2, waits))
        assert len(waits) == 2 and "sweep skipped, redis unavailable" in caplog.text
        server.start()
        reset_breakers()
        assert sweep_once(owner="host-a:1") == 1  # the next tick once Redis is back
        assert queue("default").count == 1
    finally:
        server.stop()
        reset_breakers()


def test_the_loop_goes_on_when_a_sweep_fails(settings, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database restarting")

    monkeypatch.setattr("notifications_app.sweeper.notifications_requeue_stuck", broken)
    settings.EMAIL_SWEEP_INTERVAL_SECONDS = 1
    waits: list[float] = []
    with caplog.at_level(logging.ERROR, logger="vividly.notifications"):
        sweeper_run(owner="host-a:1", wait=ticks(2, waits))
    assert len(waits) == 2 and "notifications sweep failed" in caplog.text
