"""Staff watch the queue (health on top, filters) and retry or cancel jobs through the services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from generation_app.models import GenerationJob, JobStatus
from generation_app.services import generation_job_fail
from generation_app.tests.factories import claimed_job, open_job
from vividly.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/generation_app/generationjob/"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_the_queue_shows_its_health_columns_and_filters(staff_client):
    leased = claimed_job(lease_seconds=5)
    # The admin reads the real clock: age the rows as a dead generator and a long wait would.
    GenerationJob.objects.filter(pk=leased.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    open_job(topic_id="optics")
    GenerationJob.objects.filter(topic_id="optics").update(created_at=timezone.now() - timedelta(hours=2))
    page = staff_client.get(CHANGELIST)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Oldest queued job: waiting 2\xa0hours" in body and "Expired leases: 1" in body
    assert "gpu-1" in body  # the lease holder
    assert staff_client.get(f"{CHANGELIST}?status__exact=queued&age=1h").content.decode().count("optics") >= 1
    assert "optics" not in staff_client.get(f"{CHANGELIST}?age=7d").content.decode()


def test_the_lease_token_is_never_shown(staff_client):
    job = claimed_job()
    page = staff_client.get(f"{CHANGELIST}{job.pk}/change/")
    assert page.status_code == 200 and job.lease_token not in page.content.decode()


def test_retry_and_cancel_actions(staff_client):
    failed = claimed_job()
    generation_job_fail(job_id=failed.pk, lease_token=failed.lease_token, retryable=False, error_code="x", message="")
    queued = open_job()
    response = staff_client.post(
        CHANGELIST, {"action": "retry", "_selected_action": [failed.pk, queued.pk]}, follow=True
    )
    body = response.content.decode()
    assert "Queued again: 1 job." in body and "Only a failed or cancelled job can be retried" in body
    failed.refresh_from_db()
    assert failed.status == JobStatus.QUEUED
    staff_client.post(CHANGELIST, {"action": "cancel", "_selected_action": [queued.pk]}, follow=True)
    queued.refresh_from_db()
    assert queued.status == JobStatus.CANCELLED


def test_a_job_cannot_be_edited_or_deleted_by_hand_only_retried_or_cancelled(staff_client):
    job = open_job(topic_id="optics")
    page = staff_client.get(f"{CHANGELIST}{job.pk}/change/").content.decode()
    assert 'name="_save"' not in page and f"{job.pk}/delete/" not in page
    staff_client.post(f"{CHANGELIST}{job.pk}/change/", {"status": JobStatus.FAILED})
    assert staff_client.post(f"{CHANGELIST}{job.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [job.pk], "post": "yes"}
    staff_client.post(CHANGELIST, bulk)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    changelist = staff_client.get(CHANGELIST).content.decode()
    assert "delete_selected" not in changelist and 'value="cancel"' in changelist
    staff_client.post(CHANGELIST, {"action": "cancel", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
