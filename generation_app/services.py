"""Writes to the generation queue: open and join jobs, claim, heartbeat, complete, fail, reclaim."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

# Until cache_app.types exports it (see .importlinter): the store's own metadata rules.
from cache_app.services import cache_entry_store
from cache_app.types import metadata_validate
from generation_app.artifacts import metadata_blob_names
from generation_app.errors import JobNotFound, JobNotRetryable, LeaseLost, MissingAssets
from generation_app.models import OPEN_STATUSES, GenerationJob, JobStatus
from generation_app.signals import generation_failed
from vividly.errors import Conflict

# A concurrent miss may open the job between our UPDATE and INSERT; then we join it.
JOIN_ATTEMPTS = 3


def open_jobs(cache_key: str) -> QuerySet[GenerationJob]:
    return GenerationJob.objects.filter(cache_key=cache_key, status__in=OPEN_STATUSES)


def generation_demand_join(*, cache_key: str, topic_id: str, interest: str, style: str) -> None:
    """Open the job for `cache_key` or join the open one (demand + 1), inside the caller's transaction."""
    now = timezone.now()
    for attempt in range(JOIN_ATTEMPTS):
        # A join also takes back a cancellation the generator has not heard of yet.
        if open_jobs(cache_key).update(demand=F("demand") + 1, cancel_requested=False, updated_at=now):
            return
        try:
            with transaction.atomic():
                GenerationJob.objects.create(
                    cache_key=cache_key, topic_id=topic_id, interest=interest, style=style, demand=1, available_at=now
                )
            return
        except IntegrityError:
            # The partial unique index refused a second open job: another miss won; join it.
            if attempt == JOIN_ATTEMPTS - 1:
                raise


def generation_demand_leave(*, cache_key: str) -> None:
    """Lower the open job's demand; with none left, cancel it (a leased one on its next heartbeat)."""
    with transaction.atomic():
        job = open_jobs(cache_key).select_for_update().first()
        if job is None:
            return
        job.demand = max(job.demand - 1, 0)
        if job.demand == 0 and job.status == JobStatus.QUEUED:
            close(job, JobStatus.CANCELLED)  # no generator holds it: nobody to tell
            return
        job.cancel_requested = job.demand == 0
        job.save(update_fields=["demand", "cancel_requested", "updated_at"])


def generation_jobs_claim(
    *, worker: str, lease_seconds: int, max_jobs: int, now: datetime | None = None
) -> list[GenerationJob]:
    """Lease up to `max_jobs` due jobs to `worker`, most demanded then oldest, each with a fresh token."""
    now = now or timezone.now()
    generation_leases_reclaim(now=now)
    claimed: list[Any] = []
    for _ in range(JOIN_ATTEMPTS):
        lost = 0
        with transaction.atomic():
            due = GenerationJob.objects.filter(status=JobStatus.QUEUED, available_at__lte=now).order_by(
                "-demand", "created_at"
            )
            if connection.features.has_select_for_update_skip_locked:
                # PostgreSQL: concurrent claimers each take rows nobody else has locked.
                due = due.select_for_update(skip_locked=True)
            for pk in list(due.values_list("pk", flat=True)[: max_jobs - len(claimed)]):
                # Conditional on the status we read: on SQLite (no SKIP LOCKED) this is what
                # keeps two claimers off one job; on PostgreSQL the row lock already does.
                won = GenerationJob.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
                    status=JobStatus.LEASED,
                    lease_token=secrets.token_urlsafe(32),
                    lease_holder=worker,
                    lease_seconds=lease_seconds,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    attempts=F("attempts") + 1,
                    progress=None,
                    stage="",
                    updated_at=now,
                )
                if won:
                    claimed.append(pk)
                else:
                    lost += 1
        if not lost or len(claimed) == max_jobs:
            break
    return list(GenerationJob.objects.filter(pk__in=claimed).order_by("-demand", "created_at"))


def held_job(*, job_id: Any, lease_token: str, now: datetime) -> GenerationJob:
    """Return the job locked for update if `lease_token` is its live lease; else 404 or 409 lease_lost."""
    job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        raise JobNotFound()
    if not lease_is_live(job, lease_token, now):
        raise LeaseLost()
    return job


def token_matches(job: GenerationJob, lease_token: str) -> bool:
    return bool(job.lease_token) and constant_time_compare(job.lease_token, lease_token)


def lease_is_live(job: GenerationJob, lease_token: str, now: datetime) -> bool:
    return (
        job.status == JobStatus.LEASED
        and token_matches(job, lease_token)
        and job.lease_expires_at is not None
        and job.lease_expires_at > now
    )


@dataclass(frozen=True)
class Heartbeat:
    lease_expires_at: datetime
    cancel_requested: bool


def generation_job_heartbeat(
    *,
    job_id: Any,
    lease_token: str,
    progress: float | None = None,
    stage: str | None = None,
    now: datetime | None = None,
) -> Heartbeat:
    """Extend the lease by its length and record progress; a job nobody waits for is closed `cancelled`."""
    now = now or timezone.now()
    with transaction.atomic():
        job = held_job(job_id=job_id, lease_token=lease_token, now=now)
        if job.cancel_requested:
            close(job, JobStatus.CANCELLED)
            return Heartbeat(lease_expires_at=now, cancel_requested=True)
        job.lease_expires_at = now + timedelta(seconds=job.lease_seconds)
        if progress is not None:
            job.progress = progress
        if stage is not None:
            job.stage = stage
        job.save(update_fields=["lease_expires_at", "progress", "stage", "updated_at"])
    return Heartbeat(lease_expires_at=job.lease_expires_at, cancel_requested=False)


def generation_job_complete(
    *, job_id: Any, lease_token: str, metadata: dict[str, Any], now: datetime | None = None
) -> str:
    """Store the job's result through the cache once every blob it names exists; return the cache key."""
    now = now or timezone.now()
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job and job.status == JobStatus.DONE and token_matches(job, lease_token):
            return job.cache_key  # the same complete again (its answer was lost): same 200
        job = held_job(job_id=job_id, lease_token=lease_token, now=now)
        metadata = metadata_validate(metadata)
        content = storages["content"]
        missing = [name for name in metadata_blob_names(metadata) if not content.exists(name)]
        if missing:
            raise MissingAssets(details={"missing_assets": missing})
        # Its content_stored signal (after commit) makes every waiting request ready.
        cache_entry_store(topic_id=job.topic_id, interest=job.interest, style=job.style, metadata=metadata)
        close(job, JobStatus.DONE, keep_token=True)
    return job.cache_key


@dataclass(frozen=True)
class FailOutcome:
    status: str
    retry_at: datetime | None


def generation_job_fail(
    *, job_id: Any, lease_token: str, retryable: bool, error_code: str, message: str, now: datetime | None = None
) -> FailOutcome:
    """Queue the job again after a backoff while attempts remain and the failure is retryable; else fail it."""
    now = now or timezone.now()
    with transaction.atomic():
        job = held_job(job_id=job_id, lease_token=lease_token, now=now)
        job.last_error = f"{error_code}: {message}" if message else error_code
        return retry_or_fail(job, retryable=retryable, error_code=error_code, retry_at=now + backoff(job.attempts))


def backoff(attempts: int) -> timedelta:
    """Return the wait before the attempt after attempt number `attempts` (the last delay repeats)."""
    delays = settings.GENERATION_RETRY_DELAYS
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1] if delays and attempts else 0)


def retry_or_fail(job: GenerationJob, *, retryable: bool, error_code: str, retry_at: datetime) -> FailOutcome:
    if job.cancel_requested:
        close(job, JobStatus.CANCELLED)
        return FailOutcome(status=JobStatus.CANCELLED, retry_at=None)
    if retryable and job.attempts < settings.GENERATION_MAX_ATTEMPTS:
        job.status, job.available_at = JobStatus.QUEUED, retry_at
        job.lease_token, job.lease_expires_at = "", None
        job.save()
        return FailOutcome(status=JobStatus.QUEUED, retry_at=retry_at)
    close(job, JobStatus.FAILED)
    announce_failure(job.cache_key, error_code)
    return FailOutcome(status=JobStatus.FAILED, retry_at=None)


def announce_failure(cache_key: str, error_code: str) -> None:
    transaction.on_commit(
        lambda: generation_failed.send(sender=GenerationJob, cache_key=cache_key, error_code=error_code)
    )


def close(job: GenerationJob, status: str, *, keep_token: bool = False) -> None:
    """Close the job; only a completed one keeps its token (so the same complete is answered again)."""
    job.status, job.lease_expires_at, job.cancel_requested = status, None, False
    if not keep_token:
        job.lease_token = ""
    job.save()


def generation_leases_reclaim(*, now: datetime | None = None) -> int:
    """Take back every expired lease (due again now, or failed when out of attempts); return how many."""
    now = now or timezone.now()
    expired = GenerationJob.objects.filter(status=JobStatus.LEASED, lease_expires_at__lte=now)
    if not expired.exists():
        return 0  # the usual case, answered without a write transaction (SQLite's one write lock)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            expired = expired.select_for_update(skip_locked=True)
        jobs = list(expired)
        for job in jobs:
            job.last_error = f"lease_expired: {job.lease_holder or 'the worker'} stopped sending heartbeats"
            retry_or_fail(job, retryable=True, error_code="lease_expired", retry_at=now)
    return len(jobs)


def generation_job_close_stored(*, cache_key: str) -> int:
    """Close the key's open job `done`: its content was stored by another path."""
    return open_jobs(cache_key).update(
        status=JobStatus.DONE, lease_token="", lease_expires_at=None, cancel_requested=False, updated_at=timezone.now()
    )


def generation_job_retry(*, job_id: Any) -> GenerationJob:
    """Queue a failed or cancelled job again with fresh attempts (the admin's action)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None:
                raise JobNotFound()
            if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
                raise JobNotRetryable()
            job.status, job.attempts, job.available_at = JobStatus.QUEUED, 0, now
            job.save()
    except IntegrityError as exc:
        raise JobNotRetryable() from exc
    return job


def generation_job_cancel(*, job_id: Any) -> GenerationJob:
    """Close an open job `cancelled` now (the admin's action); students still waiting see it fail."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise JobNotFound()
        if job.status not in OPEN_STATUSES:
            raise Conflict("Only a queued or leased job can be cancelled.")
        waiting = job.demand > 0
        close(job, JobStatus.CANCELLED)
        if waiting:
            announce_failure(job.cache_key, "generation_cancelled")
    return job
