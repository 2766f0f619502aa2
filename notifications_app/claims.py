"""Claim the rows a delivery job sends: its own notification and up to a chunk of others due on its queue.

Why a job takes more than its own row: RQ costs about 19 Redis round trips per job (fetch,
heartbeat, registries), ~5 ms here, three times what sending one email costs. A job that
claims the next due rows of its queue sends them in one pass (one claim, one read of the
rules, one rate-limit call) and removes their own jobs from the queue, so those never run;
a removal that fails leaves jobs that find nothing to claim, which is harmless. A job another
worker already took off the queue keeps its hash (only a job still listed is deleted, in one
Lua call), so that worker's RQ can finish it: deleting it made RQ log `InvalidJobOperation`
for a job that had nothing left to do.

Claiming is one transaction: the rows are read `FOR UPDATE SKIP LOCKED` (PostgreSQL: two
workers never wait on or take the same row; SQLite's IMMEDIATE transactions run one writer
at a time) and moved `queued` → `sending` in the same UPDATE that re-checks their state.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from rq.job import Job

from notifications_app.models import QUEUE_FOR_PRIORITY, Hold, Notification, Priority, Status
from notifications_app.queueing import delivery_job_id, queue
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

# RQ's scheduler works in whole seconds: a job may come back up to a second early.
CLAIM_SLACK = timedelta(seconds=1)
# Rows one job sends at most (EMAIL_CLAIM_CHUNK): a high-priority email waits at most for a
# chunk of lower ones that a worker already holds (~0.2 s at 500 emails/s).
DEFAULT_CLAIM_CHUNK = 100


def claim_chunk() -> int:
    """Return how many rows one delivery job may claim (1: only its own, as before chunks)."""
    return max(1, int(getattr(settings, "EMAIL_CLAIM_CHUNK", DEFAULT_CLAIM_CHUNK)))


def due(now: datetime) -> Q:
    """Return the condition of a row whose send time has come."""
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLAIM_SLACK)


def notifications_claim(*, notification_id: str, now: datetime) -> list[Notification]:
    """Claim `notification_id` if it is queued and due, and other due rows of its queue; return them, it first.

    The others are taken only when the job's own row was claimed (a job that finds its row
    gone does nothing more, so duplicate jobs stay harmless), never a row held for a digest
    (the digest run owns it) and never a row whose retry time has not come.
    """
    with transaction.atomic():
        own = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(due(now), pk=notification_id, status=Status.QUEUED)
            .values_list("pk", "priority")
        )
        if not own:
            return []
        ids = [own[0][0]]
        if (limit := claim_chunk()) > 1:
            queue_name = QUEUE_FOR_PRIORITY[Priority(own[0][1])]
            same_queue = [priority for priority, name in QUEUE_FOR_PRIORITY.items() if name == queue_name]
            ids += list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(due(now), status=Status.QUEUED, priority__in=same_queue)
                .exclude(pk=ids[0])
                .exclude(hold=Hold.DIGEST)
                .order_by("created_at")
                .values_list("pk", flat=True)[: limit - 1]
            )
        claimed = Notification.objects.filter(pk__in=ids, status=Status.QUEUED)
        claimed.update(status=Status.SENDING, status_changed_at=now)
        # Only what this UPDATE moved: the change time written above marks this claim's rows.
        rows = {
            row.pk: row for row in Notification.objects.filter(pk__in=ids, status=Status.SENDING, status_changed_at=now)
        }
    claimed = [rows[pk] for pk in ids if pk in rows]
    jobs_drop(claimed[1:])
    return claimed


# KEYS: queue key, job hash key, for each job; ARGV: the job ids. A job still listed is removed
# with its hash; one a worker already dequeued is left to it.
DROP_LISTED_JOBS = """
for i, job_id in ipairs(ARGV) do
    if redis.call('LREM', KEYS[2 * i - 1], 0, job_id) > 0 then
        redis.call('DEL', KEYS[2 * i])
    end
end
"""


def jobs_drop(rows: list[Notification]) -> None:
    """Remove the still queued jobs of rows another job claimed, in one round trip; an outage
    leaves them."""
    if not rows:
        return
    job_ids = [delivery_job_id(row.pk) for row in rows]
    keys = []
    for row, job_id in zip(rows, job_ids, strict=True):
        keys += [queue(row.queue_name).key, Job.key_for(job_id)]

    def drop() -> None:
        client("state").register_script(DROP_LISTED_JOBS)(keys=keys, args=job_ids)

    try:
        guarded("state", drop)
    except RedisUnavailable as exc:
        logger.warning("could not drop %d claimed job(s); they will find nothing to do: %s", len(rows), exc)
