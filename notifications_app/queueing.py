"""Put delivery jobs on the RQ queue of each notification's priority, now or after a delay.

Enqueueing never raises for a Redis outage: the row is already saved as `queued`, and
the sweep (`notifications_requeue_stuck`) puts it back on a queue once Redis answers.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import django_rq
from django.conf import settings
from rq import Queue

from notifications_app.models import Notification
from vividly.process_state import process_wide
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

DELIVER_JOB = "notifications_app.jobs.deliver_notification"
# Failed jobs are kept for inspection in the dashboard, not for RQ's default of a year.
FAILURE_TTL_SECONDS = 7 * 24 * 3600


def delivery_job_id(notification_id: object) -> str:
    """Return the id of the job enqueued at once for a notification: a job that claims the row
    removes it by this id (`claims.py`). Scheduled jobs (retries, quiet hours) keep RQ's random ids.

    Enqueued again under the same id (the sweep, say), a job replaces its hash and is listed
    twice; the second run finds nothing to claim. Results are not kept (`result_ttl=0`), so a
    finished job leaves no hash behind for a later one of the same id to inherit an expiry from.
    """
    return f"deliver-{notification_id}"


def job_timeout_seconds() -> int:
    """Return how long RQ lets a delivery job run: one provider call, bounded by anymail's
    REQUESTS_TIMEOUT, and a few queries (EMAIL_JOB_TIMEOUT_SECONDS)."""
    return settings.EMAIL_JOB_TIMEOUT_SECONDS


def sending_lease_seconds() -> int:
    """Return how long a `sending` row belongs to its job: twice the job's limit, after
    which no worker can still be sending it and the sweep may take it back."""
    return 2 * job_timeout_seconds()


@process_wide("CACHES", "RQ_QUEUES")
def queue(name: str) -> Queue:
    """Return the RQ queue `name`, enqueueing at once (the caller chooses when, after commit).

    Kept per process: building one reads settings and imports classes each time, which
    cost the API as much as the enqueue itself.
    """
    return django_rq.get_queue(name, commit_mode="auto", connection=client("state"))


def enqueue_deliveries(notifications: Iterable[Notification]) -> int:
    """Put one delivery job per notification on its queue, in one round trip; return how many."""
    by_queue: dict[str, list[str]] = defaultdict(list)
    for notification in notifications:
        by_queue[notification.queue_name].append(str(notification.pk))
    if not by_queue:
        return 0

    def push() -> int:
        with client("state").pipeline() as pipeline:
            for name, ids in by_queue.items():
                queue(name).enqueue_many(
                    [
                        Queue.prepare_data(
                            DELIVER_JOB,
                            args=(pk,),
                            timeout=job_timeout_seconds(),
                            failure_ttl=FAILURE_TTL_SECONDS,
                            result_ttl=0,
                            job_id=delivery_job_id(pk),
                        )
                        for pk in ids
                    ],
                    pipeline=pipeline,
                )
            pipeline.execute()
        return sum(len(ids) for ids in by_queue.values())

    try:
        return guarded("state", push)
    except RedisUnavailable as exc:
        count = sum(len(ids) for ids in by_queue.values())
        logger.warning("could not enqueue %d notification(s), the sweep will: %s", count, exc)
        return 0


def enqueue_delivery_in(notification: Notification, delay_seconds: float) -> bool:
    """Schedule the delivery job of `notification` after `delay_seconds`; return False on an outage."""
    # What RQ's own enqueue_in does: enqueue_at now (UTC) plus the delay.
    return enqueue_delivery_at(notification, datetime.now(UTC) + timedelta(seconds=delay_seconds))


def enqueue_delivery_at(notification: Notification, when: datetime) -> bool:
    """Schedule the delivery job of `notification` for `when` (RQ's scheduler, in the worker
    started `--with-scheduler`); return False on an outage (the sweep sends it after `when`)."""
    try:
        guarded(
            "state",
            queue(notification.queue_name).enqueue_at,
            when,
            DELIVER_JOB,
            str(notification.pk),
            job_timeout=job_timeout_seconds(),
            failure_ttl=FAILURE_TTL_SECONDS,
        )
    except RedisUnavailable as exc:
        logger.warning("could not schedule notification %s, the sweep will: %s", notification.pk, exc)
        return False
    return True
