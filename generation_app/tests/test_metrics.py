"""The generation queue's metrics: open jobs by status, due jobs, expired leases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation_app.models import GenerationJob
from generation_app.services import generation_leases_reclaim
from generation_app.tests.factories import claimed_job, open_job
from vividly.observability.tests.support import scraped, value

pytestmark = pytest.mark.django_db


def test_queue_depth_and_expired_leases_follow_the_jobs():
    samples = scraped()
    assert value(samples, "vividly_generation_jobs", status="queued") == 0
    assert value(samples, "vividly_generation_expired_leases") == 0

    leased = claimed_job(lease_seconds=60)
    # Its generator went quiet five minutes ago.
    GenerationJob.objects.filter(pk=leased.pk).update(lease_expires_at=timezone.now() - timedelta(minutes=5))
    open_job()
    samples = scraped()
    assert value(samples, "vividly_generation_jobs", status="queued") == 1
    assert value(samples, "vividly_generation_jobs", status="leased") == 1
    assert value(samples, "vividly_generation_jobs_due") == 1
    assert value(samples, "vividly_generation_expired_leases") == 1

    assert generation_leases_reclaim() == 1
    samples = scraped()
    assert value(samples, "vividly_generation_expired_leases") == 0
    assert value(samples, "vividly_generation_jobs", status="queued") == 2
