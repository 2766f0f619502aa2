"""The periodic sweeper (`vividly/periodic/tasks.py`, `manage.py run_sweeper`): one sweeper per task
and interval, and the loop goes on through a Redis outage and a failing task. Time is injected:
no test here sleeps."""

import logging

import pytest

from devstack.redis_server import RedisServer
from vividly.periodic.tasks import PeriodicTask, periodic_run, periodic_task_run_once, periodic_tasks
from vividly.redis_guard import client, reset_breakers
from vividly.settings.base import redis_cache

# Each run ends by closing the process's stale database connections (a sweeper lives for days),
# which is database access as pytest-django counts it once another test left a connection open.
pytestmark = pytest.mark.django_db


def counting_task(interval: float = 60, name: str = "test-task") -> tuple[PeriodicTask, list[int]]:
    runs: list[int] = []
    return PeriodicTask(name=name, interval_seconds=lambda: interval, run=lambda: runs.append(1) or len(runs)), runs


def ticks(count: int, waits: list[float]):
    """Return a `wait` for periodic_run that records each wait and asks to stop after `count` ticks."""

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return len(waits) >= count

    return wait


def test_one_sweeper_acts_per_task_and_interval():
    task, runs = counting_task(interval=60)
    assert periodic_task_run_once(task, owner="host-a:1") == 1
    assert periodic_task_run_once(task, owner="host-b:2") is None  # the other sweeper ran it within the interval
    assert client("state").get(task.lock_key) == b"host-a:1"
    assert 0 < client("state").ttl(task.lock_key) <= 59  # gone just before the next tick
    client("state").delete(task.lock_key)  # the interval is over
    assert periodic_task_run_once(task, owner="host-b:2") == 2
    assert len(runs) == 2


def test_the_loop_runs_each_task_every_interval_until_asked_to_stop(monkeypatch):
    task, runs = counting_task(interval=30)
    monkeypatch.setattr("vividly.periodic.tasks._tasks", {task.name: task})
    now = [1000.0]

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        now[0] += seconds
        client("state").delete(task.lock_key)  # as the lock would have expired by then
        return len(waits) >= 3

    waits: list[float] = []
    periodic_run(owner="host-a:1", wait=wait, clock=lambda: now[0])
    assert waits == [30, 30, 30] and len(runs) == 3


def test_the_loop_goes_on_through_a_redis_outage(settings, monkeypatch, caplog):
    task, runs = counting_task(interval=30)
    monkeypatch.setattr("vividly.periodic.tasks._tasks", {task.name: task})
    server = RedisServer().start()
    settings.CACHES = {**settings.CACHES, "state": redis_cache(f"{server.url}/0", prefix="vividly:state", timeout=None)}
    settings.REDIS_BREAKER_RESET_SECONDS = 0
    reset_breakers()
    try:
        server.stop()
        waits: list[float] = []
        with caplog.at_level(logging.WARNING, logger="vividly.periodic"):
            periodic_run(owner="host-a:1", wait=ticks(2, waits))
        assert len(waits) == 2 and "test-task skipped, redis unavailable" in caplog.text
        assert runs == []  # the work waits in the database for the next tick
        server.start()
        reset_breakers()
        assert periodic_task_run_once(task, owner="host-a:1") == 1  # the next tick once Redis is back
    finally:
        server.stop()
        reset_breakers()


def test_the_loop_goes_on_when_a_task_fails(monkeypatch, caplog):
    def broken():
        raise RuntimeError("database restarting")

    task = PeriodicTask(name="broken-task", interval_seconds=lambda: 1, run=broken)
    monkeypatch.setattr("vividly.periodic.tasks._tasks", {task.name: task})
    waits: list[float] = []
    with caplog.at_level(logging.ERROR, logger="vividly.periodic"):
        periodic_run(owner="host-a:1", wait=ticks(2, waits))
    assert len(waits) == 2 and "broken-task failed" in caplog.text


def test_every_app_registers_its_periodic_work():
    names = {task.name for task in periodic_tasks()}
    assert {"notifications-sweep", "notifications-digests", "generation-leases", "retention-purge"} <= names
