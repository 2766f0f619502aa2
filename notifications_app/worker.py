"""The RQ worker class `rqworker` runs (settings.RQ["WORKER_CLASS"]): it performs jobs in
its own process and sweeps stuck notifications back onto their queues every few seconds.

Why the sweep is here and not a schedule kept in Redis (rq-scheduler, a repeating job):
a schedule stored in Redis is lost when Redis restarts without persistence, which is
exactly when jobs are lost and the sweep is needed. This one lives in the worker process,
so it resumes as soon as the worker reaches Redis again, with no extra process to run.

Why jobs run in-process (RQ's SimpleWorker) rather than in a forked work horse: a fork per
job cost ~60 ms here, three quarters of the time of an email, and each fresh horse opened a
new connection to the provider (a TLS handshake per email with SendGrid). In one process,
anymail's HTTP session and the database connection are reused from job to job. RQ still
enforces each job's timeout (SIGALRM), and the database connection is handled as Django
handles it around a request.

Why a Redis outage does not end it: RQ quits its work loop on any error outside its
dequeue wait, so losing Redis around a job (RQ's own bookkeeping before or after it)
stopped the worker, and with it the sweep that recovers from exactly that outage. Every
email's state is in the database; the sweep puts back whatever jobs the outage lost.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import close_old_connections, connections
from redis.client import Pipeline
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.utils import now

from notifications_app.sweep import notifications_requeue_stuck
from vividly.redis_guard import OUTAGE_ERRORS, RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

SWEEP_LOCK_KEY = "vividly:notifications:sweep-lock"
HEARTBEAT_EVERY_SECONDS = 1.0


class SweepingWorker(SimpleWorker):
    """An in-process RQ worker whose maintenance loop also runs the notifications sweep."""

    last_swept_at: float | None = None

    @contextmanager
    def redis_outage_survived(self, during: str) -> Iterator[None]:
        """Log a Redis outage in RQ's bookkeeping instead of letting it end the work loop.

        RQ's dequeue then fails too, and waits for Redis with its own backoff.
        """
        try:
            yield
        except OUTAGE_ERRORS as exc:
            logger.warning("worker %s: redis unavailable during %s: %s", self.name, during, exc)

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        # RQ refreshes the worker's TTL (minutes long) with three round trips, three times
        # per job: a tenth of an email's time. Once a second is plenty. Heartbeats that set
        # a job's own TTL (they pass a timeout or a pipeline) always go through.
        routine = timeout is None and pipeline is None and self.last_heartbeat is not None
        if routine and (now() - self.last_heartbeat).total_seconds() < HEARTBEAT_EVERY_SECONDS:
            return
        with self.redis_outage_survived("a heartbeat"):
            super().heartbeat(timeout, pipeline)

    def check_for_suspension(self, burst: bool) -> None:
        with self.redis_outage_survived("the suspension check"):
            super().check_for_suspension(burst)

    def set_state(self, state: str, pipeline: Pipeline | None = None) -> None:
        # RQ sets it first thing in its dequeue loop, before the part that waits for Redis.
        with self.redis_outage_survived("a state change"):
            super().set_state(state, pipeline)

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
        # RQ may fork its scheduler process here: a fork must never share our database socket.
        connections.close_all()
        if super().should_run_maintenance_tasks:
            with self.redis_outage_survived("maintenance"):
                super().run_maintenance_tasks()
        if self.sweep_due:
            self.restart_dead_scheduler()
            self.sweep()

    def restart_dead_scheduler(self) -> None:
        """Start RQ's scheduler again if a Redis outage ended its process.

        Retries and rate-limited sends wait in its registry; RQ itself looks only every ten
        minutes. Only a scheduler this worker ran is restarted (a burst worker runs none).
        """
        process = self.scheduler._process if self.scheduler else None  # RQ's own check reads it too
        if process is not None and not process.is_alive():
            with self.redis_outage_survived("the scheduler's restart"):
                self.scheduler.acquire_locks(auto_start=True)

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
            close_old_connections()

    def execute_job(self, job: Job, queue: Queue) -> None:
        # What Django does around a request: drop a connection that broke or is too old.
        close_old_connections()
        try:
            # The job itself never raises for an outage (its Redis calls are guarded); what
            # can is RQ's bookkeeping around it, and the row already says what happened.
            with self.redis_outage_survived(f"the bookkeeping of job {job.id}"):
                super().execute_job(job, queue)
        finally:
            close_old_connections()
