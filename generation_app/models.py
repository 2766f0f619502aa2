"""Generation jobs: one open job per cache key, leased to one generator at a time."""

import uuid

from django.db import models
from django.db.models import Q


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.LEASED)


class GenerationJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cache_key = models.CharField(max_length=64, db_index=True)
    topic_id = models.CharField(max_length=200)
    interest = models.CharField(max_length=200)
    style = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    # Pending content requests waiting on this job.
    demand = models.PositiveIntegerField(default=0)
    # Claims so far; the current lease is attempt number `attempts`.
    attempts = models.PositiveIntegerField(default=0)
    # Not claimable before this (the backoff after a retryable failure).
    available_at = models.DateTimeField()
    lease_token = models.CharField(max_length=64, blank=True, default="")
    lease_holder = models.CharField(max_length=200, blank=True, default="")
    lease_seconds = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(null=True, blank=True)
    stage = models.CharField(max_length=200, blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two concurrent misses of one key can never open two jobs: the database refuses.
            models.UniqueConstraint(
                fields=["cache_key"],
                condition=Q(status__in=["queued", "leased"]),
                name="generation_one_open_job_per_key",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "available_at"], name="generation_due"),
            models.Index(fields=["status", "lease_expires_at"], name="generation_lease_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.cache_key[:12]}… ({self.status})"
