"""The registry of periodic tasks and the loop `manage.py run_sweeper` runs.

Apps register their tasks from `AppConfig.ready()` (the core knows no app): the
notifications sweep (stuck emails back on their queue), expired generation leases, the
daily retention purge. Why a process of its own beside a stock RQ worker, rather than a
schedule kept in Redis (rq-scheduler, RQ's cron, a repeating job): a schedule stored in
Redis is lost when Redis restarts without persistence, which is exactly when jobs are lost
and the sweep is needed. This loop lives in its own process and keeps looping through
Redis and database outages.

Several sweepers may run (one per machine, say): each task takes a lock in the state Redis
that expires just before its next tick, so one sweeper acts per task and interval. When
that Redis is unreachable the tick is skipped and logged: the work waits in the database
for the next one.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.periodic")

LOCK_PREFIX = "vividly:periodic:"


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    # Read at every tick, so settings (and tests swapping them) take effect at once.
    interval_seconds: Callable[[], float]
    run: Callable[[], object]

    @property
    def lock_key(self) -> str:
        return f"{LOCK_PREFIX}{self.name}"


_tasks: dict[str, PeriodicTask] = {}


def periodic_task_register(*, name: str, interval_seconds: Callable[[], float], run: Callable[[], object]) -> None:
    """Register (or replace) the task `name`: `run()` every `interval_seconds()` seconds."""
    _tasks[name] = PeriodicTask(name=name, interval_seconds=interval_seconds, run=run)


def periodic_tasks() -> list[PeriodicTask]:
    """Return the registered tasks, in registration order."""
    return list(_tasks.values())


def periodic_task_run_once(task: PeriodicTask, *, owner: str) -> object | None:
    """Run `task` unless another sweeper did within its interval; return its result (None: skipped or failed)."""
    try:
        lock_seconds = max(1, int(task.interval_seconds()) - 1)
        if not guarded("state", client("state").set, task.lock_key, owner, nx=True, ex=lock_seconds):
            return None
    except RedisUnavailable as exc:
        logger.warning("%s skipped, redis unavailable: %s", task.name, exc)
        return None
    try:
        return task.run()
    except Exception:
        # The sweeper must keep looping (a database restart, say); the next tick tries again.
        logger.exception("%s failed", task.name)
        return None
    finally:
        close_old_connections()


def periodic_run(
    *, owner: str, wait: Callable[[float], bool], clock: Callable[[], float] = time.monotonic
) -> None:
    """Run every registered task each interval until `wait(seconds)` returns True (a stop was asked)."""
    next_due: dict[str, float] = {}
    while True:
        for task in periodic_tasks():
            if clock() >= next_due.get(task.name, 0.0):
                periodic_task_run_once(task, owner=owner)
                next_due[task.name] = clock() + task.interval_seconds()
        if not next_due:
            return
        if wait(max(0.0, min(next_due.values()) - clock())):
            return
