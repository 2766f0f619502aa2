"""The queue's writes: demand, claim order, leases and fencing, heartbeats, complete, fail, reclaim."""

from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.utils import timezone

from cache_app.services import cache_entry_fetch, cache_entry_store
from generation_app import services
from generation_app.errors import JobNotFound, LeaseLost, MissingAssets
from generation_app.models import GenerationJob, JobStatus
from generation_app.signals import generation_failed
from generation_app.tests.factories import claimed_job, job_metadata, open_job, uploaded
from vividly.errors import InvalidInput

pytestmark = pytest.mark.django_db
# Signals sent after commit need real commits.
AFTER_COMMIT = pytest.mark.django_db(transaction=True)


@pytest.fixture
def failures():
    """Record every generation_failed signal."""
    sent = []

    def record(**kwargs):
        sent.append((kwargs["cache_key"], kwargs["error_code"]))

    generation_failed.connect(record, dispatch_uid="test-record")
    yield sent
    generation_failed.disconnect(dispatch_uid="test-record")


def soon():
    """Return a moment just after the jobs a test opens next (joins stamp the real clock)."""
    return timezone.now() + timedelta(seconds=1)


# --- demand ----------------------------------------------------------------------------


def test_a_miss_opens_a_job_and_more_misses_join_it():
    job = open_job(demand=3)
    assert job.status == JobStatus.QUEUED and job.demand == 3 and job.attempts == 0
    assert GenerationJob.objects.filter(cache_key=job.cache_key).count() == 1


def test_the_database_refuses_a_second_open_job_for_a_key():
    job = open_job()
    with pytest.raises(IntegrityError), transaction.atomic():
        GenerationJob.objects.create(cache_key=job.cache_key, available_at=timezone.now())


def test_a_closed_job_does_not_stop_a_new_one():
    job = claimed_job()
    services.generation_job_fail(
        job_id=job.pk, lease_token=job.lease_token, retryable=False, error_code="x", message=""
    )
    fresh = open_job(topic_id=job.topic_id, interest=job.interest, style=job.style)
    assert fresh.pk != job.pk and fresh.status == JobStatus.QUEUED


def test_leaving_a_queued_job_with_no_demand_cancels_it_at_once():
    job = open_job(demand=2)
    services.generation_demand_leave(cache_key=job.cache_key)
    job.refresh_from_db()
    assert (job.status, job.demand) == (JobStatus.QUEUED, 1)
    services.generation_demand_leave(cache_key=job.cache_key)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_leaving_a_leased_job_is_reported_on_the_next_heartbeat_then_it_is_cancelled():
    job = claimed_job()
    services.generation_demand_leave(cache_key=job.cache_key)
    job.refresh_from_db()
    assert job.status == JobStatus.LEASED and job.cancel_requested
    beat = services.generation_job_heartbeat(job_id=job.pk, lease_token=job.lease_token)
    assert beat.cancel_requested is True
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    with pytest.raises(LeaseLost):
        services.generation_job_heartbeat(job_id=job.pk, lease_token=job.lease_token)


def test_a_new_miss_before_the_heartbeat_takes_the_cancellation_back():
    job = claimed_job()
    services.generation_demand_leave(cache_key=job.cache_key)
    services.generation_demand_join(
        cache_key=job.cache_key, topic_id=job.topic_id, interest=job.interest, style=job.style
    )
    assert services.generation_job_heartbeat(job_id=job.pk, lease_token=job.lease_token).cancel_requested is False


def test_leaving_a_key_without_an_open_job_does_nothing():
    services.generation_demand_leave(cache_key="0" * 64)
    assert not GenerationJob.objects.exists()


# --- claim -----------------------------------------------------------------------------


def test_claim_hands_out_most_demanded_then_oldest():
    now = soon()
    first, popular, second = open_job(), open_job(demand=5), open_job()
    claimed = services.generation_jobs_claim(worker="w", lease_seconds=30, max_jobs=2, now=now)
    assert [job.pk for job in claimed] == [popular.pk, first.pk]
    (rest,) = services.generation_jobs_claim(worker="w", lease_seconds=30, max_jobs=5, now=now)
    assert rest.pk == second.pk
    assert services.generation_jobs_claim(worker="w", lease_seconds=30, max_jobs=5, now=now) == []


def test_a_claim_leases_with_a_fresh_token_holder_and_expiry():
    now = soon()
    job = claimed_job(lease_seconds=120, now=now)
    assert job.status == JobStatus.LEASED and job.attempts == 1 and job.lease_holder == "gpu-1"
    assert len(job.lease_token) >= 40
    assert job.lease_expires_at == now + timedelta(seconds=120)


def test_an_expired_lease_is_due_again_with_a_new_token_and_the_old_one_is_dead():
    now = soon()
    job = claimed_job(lease_seconds=60, now=now)
    later = now + timedelta(seconds=61)
    (again,) = services.generation_jobs_claim(worker="gpu-2", lease_seconds=60, max_jobs=1, now=later)
    assert again.pk == job.pk and again.lease_token != job.lease_token
    assert (again.attempts, again.lease_holder) == (2, "gpu-2")
    assert again.last_error.startswith("lease_expired")
    with pytest.raises(LeaseLost):
        services.generation_job_heartbeat(job_id=job.pk, lease_token=job.lease_token, now=later)
    services.generation_job_heartbeat(job_id=job.pk, lease_token=again.lease_token, now=later)


def test_a_lease_not_yet_expired_is_not_handed_out_twice():
    now = soon()
    claimed_job(lease_seconds=60, now=now)
    assert (
        services.generation_jobs_claim(worker="w", lease_seconds=60, max_jobs=5, now=now + timedelta(seconds=59)) == []
    )


# --- leases ----------------------------------------------------------------------------


def test_a_heartbeat_extends_the_lease_by_its_length_and_records_progress():
    now = soon()
    job = claimed_job(lease_seconds=60, now=now)
    beat = services.generation_job_heartbeat(
        job_id=job.pk, lease_token=job.lease_token, progress=0.5, stage="rendering", now=now + timedelta(seconds=50)
    )
    assert beat.lease_expires_at == now + timedelta(seconds=110) and beat.cancel_requested is False
    job.refresh_from_db()
    assert (job.progress, job.stage, job.lease_expires_at) == (0.5, "rendering", beat.lease_expires_at)


def test_a_heartbeat_after_expiry_is_lease_lost():
    now = soon()
    job = claimed_job(lease_seconds=60, now=now)
    with pytest.raises(LeaseLost):
        services.generation_job_heartbeat(job_id=job.pk, lease_token=job.lease_token, now=now + timedelta(seconds=60))


@pytest.mark.parametrize("action", ["heartbeat", "complete", "fail"])
def test_a_stale_or_foreign_token_changes_nothing(action):
    job, other = claimed_job(), claimed_job()
    before = GenerationJob.objects.filter(pk=job.pk).values().get()
    call = {
        "heartbeat": lambda token: services.generation_job_heartbeat(job_id=job.pk, lease_token=token, progress=0.9),
        "complete": lambda token: services.generation_job_complete(
            job_id=job.pk, lease_token=token, metadata=job_metadata(job)
        ),
        "fail": lambda token: services.generation_job_fail(
            job_id=job.pk, lease_token=token, retryable=False, error_code="x", message=""
        ),
    }[action]
    for token in (other.lease_token, "stale-token", ""):
        with pytest.raises(LeaseLost):
            call(token)
    assert GenerationJob.objects.filter(pk=job.pk).values().get() == before


def test_an_unknown_job_is_not_found():
    with pytest.raises(JobNotFound):
        services.generation_job_heartbeat(job_id="00000000-0000-0000-0000-000000000000", lease_token="t")


@AFTER_COMMIT
def test_reclaim_requeues_expired_leases_and_fails_those_out_of_attempts(settings, failures):
    settings.GENERATION_MAX_ATTEMPTS = 2
    now = soon()
    job = claimed_job(lease_seconds=10, now=now)
    assert services.generation_leases_reclaim(now=now + timedelta(seconds=9)) == 0
    assert services.generation_leases_reclaim(now=now + timedelta(seconds=10)) == 1
    job.refresh_from_db()
    assert (job.status, job.lease_token, job.available_at) == (JobStatus.QUEUED, "", now + timedelta(seconds=10))
    services.generation_jobs_claim(worker="w", lease_seconds=10, max_jobs=1, now=now + timedelta(seconds=11))
    with transaction.atomic():
        assert services.generation_leases_reclaim(now=now + timedelta(seconds=30)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 2
    assert failures == [(job.cache_key, "lease_expired")]


# --- fail and retry --------------------------------------------------------------------


@AFTER_COMMIT
def test_retryable_failures_back_off_by_the_delays_then_fail_for_good(settings, failures):
    settings.GENERATION_RETRY_DELAYS = [60, 300]
    settings.GENERATION_MAX_ATTEMPTS = 3
    now = soon()
    job = claimed_job(now=now)
    waits = []
    for attempt in range(1, 4):
        outcome = services.generation_job_fail(
            job_id=job.pk,
            lease_token=job.lease_token,
            retryable=True,
            error_code="gpu_oom",
            message="out of memory",
            now=now,
        )
        if attempt < 3:
            assert outcome.status == JobStatus.QUEUED
            waits.append(outcome.retry_at - now)
            assert (
                services.generation_jobs_claim(
                    worker="w", lease_seconds=60, max_jobs=1, now=outcome.retry_at - timedelta(seconds=1)
                )
                == []
            )
            now = outcome.retry_at
            (job,) = services.generation_jobs_claim(worker="w", lease_seconds=60, max_jobs=1, now=now)
    assert waits == [timedelta(seconds=60), timedelta(seconds=300)]
    assert (outcome.status, outcome.retry_at) == (JobStatus.FAILED, None)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == (JobStatus.FAILED, 3, "gpu_oom: out of memory")
    assert failures == [(job.cache_key, "gpu_oom")]


@AFTER_COMMIT
def test_a_failure_that_is_not_retryable_fails_at_once(failures):
    job = claimed_job()
    outcome = services.generation_job_fail(
        job_id=job.pk, lease_token=job.lease_token, retryable=False, error_code="unsafe_topic", message="refused"
    )
    assert outcome.status == JobStatus.FAILED
    assert failures == [(job.cache_key, "unsafe_topic")]


@AFTER_COMMIT
def test_the_failure_signal_waits_for_the_commit(failures):
    job = claimed_job()
    with transaction.atomic():
        services.generation_job_fail(
            job_id=job.pk, lease_token=job.lease_token, retryable=False, error_code="x", message=""
        )
        assert failures == []
    assert failures == [(job.cache_key, "x")]


# --- complete --------------------------------------------------------------------------


def test_complete_stores_through_the_cache_and_closes_the_job():
    job = claimed_job()
    uploaded(job)
    metadata = job_metadata(job)
    assert (
        services.generation_job_complete(job_id=job.pk, lease_token=job.lease_token, metadata=metadata) == job.cache_key
    )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    lookup = cache_entry_fetch(cache_key=job.cache_key, record=False)
    assert lookup.hit and lookup.metadata["assets"] == metadata["assets"]


def test_complete_again_with_the_same_token_answers_the_same_without_storing_again():
    job = claimed_job()
    uploaded(job)
    services.generation_job_complete(job_id=job.pk, lease_token=job.lease_token, metadata=job_metadata(job))
    storages["content"].delete(f"generated/{job.cache_key}/1/720p.mp4")  # a second store would now refuse
    assert services.generation_job_complete(job_id=job.pk, lease_token=job.lease_token, metadata={}) == job.cache_key


@pytest.mark.parametrize(("asset", "name"), [("audio", "voice.mp3"), ("hls", "hls/master.m3u8")])
def test_complete_before_the_upload_lists_the_missing_blobs(asset, name):
    job = claimed_job()
    uploaded(job, names=("720p.mp4",))
    metadata = job_metadata(job)
    metadata["assets"][asset] = f"generated/{job.cache_key}/1/{name}"
    with pytest.raises(MissingAssets) as caught:
        services.generation_job_complete(job_id=job.pk, lease_token=job.lease_token, metadata=metadata)
    assert caught.value.details == {"missing_assets": [f"generated/{job.cache_key}/1/{name}"]}
    job.refresh_from_db()
    assert job.status == JobStatus.LEASED


def test_complete_with_metadata_the_store_refuses_answers_with_the_stores_messages():
    job = claimed_job()
    with pytest.raises(InvalidInput) as caught:
        services.generation_job_complete(
            job_id=job.pk, lease_token=job.lease_token, metadata={"title": "", "duration_seconds": 0, "assets": {}}
        )
    assert set(caught.value.details) == {"metadata.title", "metadata.duration_seconds", "metadata.assets.video"}


@AFTER_COMMIT
def test_a_store_by_another_path_closes_the_open_job_and_kills_its_lease():
    job = claimed_job()
    with transaction.atomic():
        cache_entry_store(
            topic_id=job.topic_id,
            interest=job.interest,
            style=job.style,
            metadata={"title": "Hand made", "duration_seconds": 10, "assets": {"video": {"720p": "v/720p.mp4"}}},
        )
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    with pytest.raises(LeaseLost):
        services.generation_job_complete(job_id=job.pk, lease_token=job.lease_token, metadata=job_metadata(job))


# --- the admin's actions ---------------------------------------------------------------


def test_retry_queues_a_failed_job_with_fresh_attempts():
    job = claimed_job()
    services.generation_job_fail(
        job_id=job.pk, lease_token=job.lease_token, retryable=False, error_code="x", message=""
    )
    retried = services.generation_job_retry(job_id=job.pk)
    assert (retried.status, retried.attempts) == (JobStatus.QUEUED, 0)


def test_retry_refuses_an_open_job_and_a_key_that_has_one_again():
    from generation_app.errors import JobNotRetryable

    job = claimed_job()
    with pytest.raises(JobNotRetryable):
        services.generation_job_retry(job_id=job.pk)
    services.generation_job_fail(
        job_id=job.pk, lease_token=job.lease_token, retryable=False, error_code="x", message=""
    )
    open_job(topic_id=job.topic_id, interest=job.interest, style=job.style)
    with pytest.raises(JobNotRetryable):
        services.generation_job_retry(job_id=job.pk)


@AFTER_COMMIT
def test_cancel_closes_an_open_job_and_fails_its_waiting_requests(failures):
    job = claimed_job(demand=2)
    services.generation_job_cancel(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.lease_token == ""
    assert failures == [(job.cache_key, "generation_cancelled")]
