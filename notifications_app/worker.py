"""The RQ worker class `rqworker` runs (settings.RQ["WORKER_CLASS"]): RQ's forking worker
that also sweeps stuck notifications back onto their queues, every few seconds.

Why here and not in a schedule kept in Redis (rq-scheduler, a repeating job): a schedule
stored in Redis is lost when Redis restarts without persistence, which is exactly when
jobs are lost and the sweep is needed. This one lives in the worker process, so it
resumes as soon as the worker can reach Redis again, with no extra process to run.
"""

import logging
import time

from django.conf import settings
from django.db import connections
from rq import Worker
from rq.job import Job
from rq.queue import Queue

from notifications_app.services import notifications_requeue_stuck
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

SWEEP_LOCK_KEY = "vividly:notifications:sweep-lock"


class SweepingWorker(Worker):
    """A forking RQ worker whose maintenance loop also runs the notifications sweep."""

    last_swept_at: float | None = None

    @property
    def dequeue_timeout(self) -> int:
        # RQ blocks on the queues for worker_ttl - 15 s (405 s by default) before its
        # maintenance loop runs again; wake up often enough to sweep on time.
        return max(1, min(super().dequeue_timeout, settings.EMAIL_SWEEP_INTERVAL_SECONDS))

    @property
    def sweep_due(self) -> bool:
        interval = settings.EMAIL_SWEEP_INTERVAL_SECONDS
        return self.last_swept_at is None or time.monotonic() - self.last_swept_at >= interval

    @property
    def should_run_maintenance_tasks(self) -> bool:
        return super().should_run_maintenance_tasks or self.sweep_due

    def run_maintenance_tasks(self) -> None:
        if super().should_run_maintenance_tasks:
            super().run_maintenance_tasks()
        if self.sweep_due:
            self.sweep()

    def sweep(self) -> int:
        """Requeue stuck notifications, unless another worker swept within the interval."""
        self.last_swept_at = time.monotonic()
        interval = settings.EMAIL_SWEEP_INTERVAL_SECONDS
        try:
            # Expires just before the next tick, so one worker sweeps per interval.
            if not guarded("state", client("state").set, SWEEP_LOCK_KEY, self.name, nx=True, ex=max(1, interval - 1)):
                return 0
        except RedisUnavailable as exc:
            logger.warning("sweep skipped, redis unavailable: %s", exc)
            return 0
        try:
            return notifications_requeue_stuck(older_than=settings.EMAIL_STUCK_AFTER_SECONDS)
        except Exception:
            # The worker must keep working; the next tick tries again.
            logger.exception("notifications sweep failed")
            return 0
        finally:
            # The work horse is a fork of this process: it must not inherit our connection.
            connections.close_all()

    def execute_job(self, job: Job, queue: Queue) -> None:
        connections.close_all()  # same reason: never share a database socket with the fork
        super().execute_job(job, queue)
