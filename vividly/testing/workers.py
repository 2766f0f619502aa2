"""Run real RQ workers in the test process: drain the queues, retries (scheduled jobs) included."""

import signal
import time

from django_rq.workers import get_worker

from notifications_app.queueing import queue

QUEUES = ("high", "default", "low")


def scheduled_due_within(seconds: float) -> int:
    """Return how many scheduled jobs fall due within `seconds` (RQ scores are whole seconds)."""
    horizon = int(time.time() + seconds)
    return sum(
        queue(name).scheduled_job_registry.connection.zcount(queue(name).scheduled_job_registry.key, 0, horizon)
        for name in QUEUES
    )


def drain(*, wait_for_scheduled: float = 5.0, timeout: float = 15.0) -> None:
    """Run the settings' worker class in burst mode, with its scheduler, until the queues are
    empty and no scheduled job (a retry) falls due within `wait_for_scheduled` seconds."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    deadline = time.monotonic() + timeout
    try:
        while True:
            get_worker(*QUEUES).work(burst=True, with_scheduler=True, logging_level="WARNING")
            queued = sum(queue(name).count for name in QUEUES)
            if not queued and not scheduled_due_within(wait_for_scheduled):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"queues did not drain: {queued} queued")
            time.sleep(0.05)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
