"""Jobs of rows another job claimed are dropped from the queue, but never from under a worker."""

import pytest
from rq.job import Job

from notifications_app.claims import jobs_drop
from notifications_app.queueing import delivery_job_id, queue
from notifications_app.tests.support import send
from vividly.redis_guard import client

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_claimed_rows_job_is_dropped_unless_a_worker_already_took_it():
    rows = [send(to=f"learner{n}@example.edu") for n in range(3)]
    redis = client("state")
    listed = {row.pk: queue(row.queue_name) for row in rows}
    ids = [delivery_job_id(row.pk) for row in rows]
    assert all(Job.exists(job_id, connection=redis) for job_id in ids)
    # Another worker dequeues the second job (off the list, the hash stays) before the claim drops it.
    taken = rows[1]
    assert redis.lrem(listed[taken.pk].key, 0, ids[1]) == 1

    jobs_drop(rows[1:])

    assert not Job.exists(ids[2], connection=redis)  # still listed: removed with its hash
    assert ids[2] not in listed[rows[2].pk].job_ids
    # Taken: its hash is left, so the worker running it can finish and clean it up.
    assert Job.fetch(ids[1], connection=redis).get_status() is not None
    assert listed[rows[0].pk].job_ids.count(ids[0]) == 1  # the claiming job's own is not touched
