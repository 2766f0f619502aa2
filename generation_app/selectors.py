"""Reads of the generation queue: jobs by status, one job, the queue's health."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from generation_app.errors import JobNotFound
from generation_app.models import GenerationJob, JobStatus


def generation_jobs_list(*, status: str | None = None) -> QuerySet[GenerationJob]:
    """Return the jobs (of one status, if given), newest first."""
    jobs = GenerationJob.objects.order_by("-created_at", "pk")
    return jobs.filter(status=status) if status else jobs


def generation_job_get(*, job_id: Any) -> GenerationJob:
    job = GenerationJob.objects.filter(pk=job_id).first()
    if job is None:
        raise JobNotFound()
    return job


@dataclass(frozen=True)
class QueueHealth:
    oldest_queued_age: timedelta | None
    expired_leases: int


def generation_queue_health(*, now: datetime | None = None) -> QueueHealth:
    """Return how long the oldest queued job has waited and how many leases have expired."""
    now = now or timezone.now()
    oldest = (
        GenerationJob.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    ).first()
    expired = GenerationJob.objects.filter(status=JobStatus.LEASED, lease_expires_at__lte=now).count()
    return QueueHealth(oldest_queued_age=now - oldest if oldest else None, expired_leases=expired)
