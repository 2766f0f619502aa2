"""The queue's reads: jobs by status, one job, the health shown atop the admin."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation_app.errors import JobNotFound
from generation_app.selectors import QueueHealth, generation_job_get, generation_jobs_list, generation_queue_health
from generation_app.tests.factories import claimed_job, open_job

pytestmark = pytest.mark.django_db


def test_jobs_are_listed_newest_first_and_by_status():
    leased = claimed_job()
    older, newer = open_job(), open_job()
    assert [job.pk for job in generation_jobs_list()] == [newer.pk, older.pk, leased.pk]
    assert {job.pk for job in generation_jobs_list(status="queued")} == {older.pk, newer.pk}
    assert [job.pk for job in generation_jobs_list(status="leased")] == [leased.pk]


def test_an_unknown_job_is_not_found():
    with pytest.raises(JobNotFound):
        generation_job_get(job_id="00000000-0000-0000-0000-000000000000")


def test_health_reports_the_oldest_queued_age_and_expired_leases():
    assert generation_queue_health() == QueueHealth(oldest_queued_age=None, expired_leases=0)
    now = timezone.now() + timedelta(seconds=1)
    claimed_job(lease_seconds=30, now=now)
    job = open_job()
    health = generation_queue_health(now=job.created_at + timedelta(minutes=5))
    assert health.oldest_queued_age == timedelta(minutes=5)
    assert health.expired_leases == 1
    assert generation_queue_health(now=now + timedelta(seconds=29)).expired_leases == 0
