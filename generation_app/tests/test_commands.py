"""`generation_sweep` takes back expired leases once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from generation_app.models import JobStatus
from generation_app.tests.factories import claimed_job

pytestmark = pytest.mark.django_db


def test_the_sweep_requeues_expired_leases():
    job = claimed_job(lease_seconds=600)
    out = StringIO()
    call_command("generation_sweep", stdout=out)
    assert "Reclaimed 0 expired leases" in out.getvalue()
    job.refresh_from_db()
    assert job.status == JobStatus.LEASED
    # Backdate the lease's expiry as a dead generator would leave it.
    type(job).objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    call_command("generation_sweep", stdout=out)
    assert "Reclaimed 1 expired lease." in out.getvalue()
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.lease_token == ""
