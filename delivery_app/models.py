"""Content requests by students, and view sessions with watch progress."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"  # the generator gave up on this content (see error_code)
    CANCELLED = "cancelled", "Cancelled"  # the student withdrew it while it was pending


class ContentRequest(models.Model):
    """A student asked for the video of a (topic, interest, style): one row per student and key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_requests")
    cache_key = models.CharField(max_length=64, db_index=True)
    topic_id = models.CharField(max_length=200)
    interest = models.CharField(max_length=200)
    style = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=RequestStatus.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=64, blank=True, default="", help_text="Why generation failed.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "cache_key"], name="one_request_per_student_and_key")]
        indexes = [models.Index(fields=["cache_key", "status"], name="request_key_status")]

    def __str__(self) -> str:
        return f"{self.user} → {self.topic_id} | {self.interest} | {self.style}"


class DeviceType(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"
    DESKTOP = "desktop", "Desktop"
    BOT = "bot", "Bot"
    OTHER = "other", "Other"


class ViewSession(models.Model):
    """One viewing of one video by one user, with its progress."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="view_sessions")
    cache_key = models.CharField(max_length=64)
    quality = models.CharField(max_length=8)
    duration_seconds = models.FloatField(help_text="The video's duration when the view started.")
    device_type = models.CharField(max_length=16, choices=DeviceType.choices, db_index=True)
    browser = models.CharField(max_length=64, db_index=True)
    os = models.CharField(max_length=64)
    # No raw User-Agent: the device type and browser and OS families above are all analytics needs.
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    last_event_at = models.DateTimeField()
    position_seconds = models.FloatField(default=0)
    furthest_position_seconds = models.FloatField(default=0)
    watched_seconds = models.FloatField(default=0)
    completed = models.BooleanField(default=False, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["cache_key", "started_at"], name="view_key_started")]

    def __str__(self) -> str:
        return f"{self.user} watching {self.cache_key[:12]}…"
