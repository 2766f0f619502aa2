"""The periodic sweep: `manage.py run_sweeper` puts stuck notifications back on their queue
every EMAIL_SWEEP_INTERVAL_SECONDS, one sweeper at a time, and keeps looping through outages.

Why a process of its own beside a stock RQ worker, rather than a schedule kept in Redis or
a worker subclass:
- a schedule stored in Redis (rq-scheduler, RQ's cron, a repeating job) is lost when Redis
  restarts without persistence, which is exactly when jobs are lost and the sweep is needed;
- running it inside the worker meant overriding RQ's work loop (seven methods and a private
  attribute of its scheduler) to keep the worker alive through an outage. Now the worker is
  RQ's own `SimpleWorker`; when an outage around a job ends it, the process manager starts
  it again (in `make run` and the tests, `devstack.supervise`), and a new worker brings its
  scheduler back. Every email's state is in the database, so whatever the outage lost, the
  sweep puts back.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections

from notifications_app.sweep import notifications_requeue_stuck
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

SWEEP_LOCK_KEY = "vividly:notifications:sweep-lock"


def sweep_once(*, owner: str) -> int | None:
    """Sweep, unless another sweeper did within the interval; return how many were requeued (None: skipped)."""
    interval = settings.EMAIL_SWEEP_INTERVAL_SECONDS
    try:
        # Expires just before the next tick, so one sweeper sweeps per interval.
        if not guarded("state", client("state").set, SWEEP_LOCK_KEY, owner, nx=True, ex=max(1, interval - 1)):
            return None
    except RedisUnavailable as exc:
        # Nothing could be enqueued anyway; the rows wait in the database for the next tick.
        logger.warning("sweep skipped, redis unavailable: %s", exc)
        return None
    try:
        return notifications_requeue_stuck(older_than=settings.EMAIL_STUCK_AFTER_SECONDS)
    except Exception:
        # The sweeper must keep looping (a database restart, say); the next tick tries again.
        logger.exception("notifications sweep failed")
        return None
    finally:
        close_old_connections()


def sweeper_run(*, owner: str, wait: Callable[[float], bool]) -> None:
    """Sweep every EMAIL_SWEEP_INTERVAL_SECONDS until `wait(seconds)` returns True (a stop was asked)."""
    while True:
        started = time.monotonic()
        sweep_once(owner=owner)
        if wait(max(0.0, settings.EMAIL_SWEEP_INTERVAL_SECONDS - (time.monotonic() - started))):
            return
