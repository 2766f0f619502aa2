"""Put delivery jobs on the RQ queue of each notification's priority, now or after a delay.

Enqueueing never raises for a Redis outage: the row is already saved as `queued`, and
the sweep (`notifications_requeue_stuck`) puts it back on a queue once Redis answers.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

import django_rq
from rq import Queue

from notifications_app.models import Notification
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

DELIVER_JOB = "notifications_app.jobs.deliver_notification"
# A send is one provider call bounded by anymail's REQUESTS_TIMEOUT; RQ kills the job
# after this long. A row still `sending` after twice as long has no worker left on it.
JOB_TIMEOUT_SECONDS = 60
SENDING_LEASE_SECONDS = 2 * JOB_TIMEOUT_SECONDS
# Failed jobs are kept for inspection in the dashboard, not for RQ's default of a year.
FAILURE_TTL_SECONDS = 7 * 24 * 3600


_queues: dict[tuple[str, int], Queue] = {}


def queue(name: str) -> Queue:
    """Return the RQ queue `name`, enqueueing at once (the caller chooses when, after commit).

    Kept per connection: building one reads settings and imports classes each time,
    which cost the API as much as the enqueue itself.
    """
    connection = client("state")
    key = (name, id(connection))
    if key not in _queues or _queues[key].connection is not connection:
        _queues[key] = django_rq.get_queue(name, commit_mode="auto", connection=connection)
    return _queues[key]


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
                            timeout=JOB_TIMEOUT_SECONDS,
                            failure_ttl=FAILURE_TTL_SECONDS,
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
    try:
        guarded(
            "state",
            queue(notification.queue_name).enqueue_in,
            timedelta(seconds=delay_seconds),
            DELIVER_JOB,
            str(notification.pk),
            job_timeout=JOB_TIMEOUT_SECONDS,
            failure_ttl=FAILURE_TTL_SECONDS,
        )
    except RedisUnavailable as exc:
        logger.warning("could not schedule notification %s, the sweep will: %s", notification.pk, exc)
        return False
    return True
