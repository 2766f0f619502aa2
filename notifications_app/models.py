"""Notifications, their delivery attempts, provider events and suppressed addresses."""

import uuid

from django.db import models
from django.utils import timezone

from notifications_app.registry import TEMPLATES


class Priority(models.TextChoices):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


# The RQ queue of each priority; workers listen on `high default low`, in that order.
QUEUE_FOR_PRIORITY = {Priority.HIGH: "high", Priority.NORMAL: "default", Priority.LOW: "low"}


class Status(models.TextChoices):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DEFERRED = "deferred"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    REJECTED = "rejected"
    FAILED = "failed"
    # Accepted, never sent: the address hard bounced before (see Suppression).
    SUPPRESSED = "suppressed"


def template_choices() -> list[tuple[str, str]]:
    """Return each template's name as people read it ("Password reset"); a callable, so a new
    template needs no migration."""
    return [(name, name.replace("_", " ").capitalize()) for name in sorted(TEMPLATES)]


class Notification(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    to = models.EmailField(db_index=True)
    template = models.CharField(max_length=64, choices=template_choices)
    context = models.JSONField(default=dict, blank=True)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    # Calls made to the provider (a wait for the rate limiter is not one).
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True, unique=True)
    # sha256 of the request an idempotency key was first used with: a different request
    # under the same key is a conflict, not a replay.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    batch_id = models.UUIDField(null=True, blank=True, db_index=True)
    # Who asked for it: a username, or `service:<name>` for a service token ("" for the system).
    requested_by = models.CharField(max_length=200, blank=True)
    # anymail's message id (the `anymail_id` custom argument) of the accepted send.
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # When a retry or a rate-limited send is due; no job may send it earlier.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep: rows still queued or sending, oldest state change first.
            models.Index(fields=["status", "status_changed_at"], name="notif_status_changed_idx"),
            models.Index(fields=["template", "-created_at"], name="notif_template_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_template_display()} to {self.to} ({self.get_status_display().lower()})"

    @property
    def queue_name(self) -> str:
        return QUEUE_FOR_PRIORITY[Priority(self.priority)]


class Outcome(models.TextChoices):
    # Written and committed before the provider is called: a row left `started` means the
    # worker stopped during the call, and nobody knows whether the provider accepted it.
    STARTED = "started", "Started, no answer yet"
    SENT = "sent", "Sent"
    TRANSIENT_ERROR = "transient_error", "Temporary error"
    PERMANENT_ERROR = "permanent_error", "Permanent error"
    # A `started` attempt the sweep found with its worker gone; the notification was requeued.
    ABANDONED = "abandoned", "Abandoned (worker gone)"


class DeliveryAttempt(models.Model):
    """One call to the provider. Rows are added, never deleted; only the outcome is filled in."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.STARTED)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["notification", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "number"], name="attempt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number}: {self.get_outcome_display().lower()}"


class ProviderEventType(models.TextChoices):
    """anymail's normalised event types, named as SendGrid's activity feed names them."""

    QUEUED = "queued", "Processed"  # SendGrid's `processed`: accepted, about to be sent
    SENT = "sent", "Sent"
    DEFERRED = "deferred", "Deferred"
    DELIVERED = "delivered", "Delivered"
    BOUNCED = "bounced", "Bounced"
    REJECTED = "rejected", "Dropped"  # SendGrid's `dropped`
    FAILED = "failed", "Failed"
    OPENED = "opened", "Opened"
    CLICKED = "clicked", "Clicked"
    COMPLAINED = "complained", "Marked as spam"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    SUBSCRIBED = "subscribed", "Resubscribed"
    AUTORESPONDED = "autoresponded", "Auto-replied"
    UNKNOWN = "unknown", "Unknown"


class ProviderEvent(models.Model):
    """One event from the provider's webhook, recorded once however often it is repeated."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="events")
    # anymail's normalised event type: queued, delivered, bounced, deferred, opened, ...
    event_type = models.CharField(max_length=32, choices=ProviderEventType.choices)
    provider_event_id = models.CharField(max_length=255, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    payload = models.JSONField(default=dict)
    # SendGrid changes sg_event_id between retries of the same event, so an event is
    # identified by what it says (message, type, time, recipient), not by that id.
    dedupe_key = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return str(self.get_event_type_display())


class SuppressionReason(models.TextChoices):
    HARD_BOUNCE = "hard_bounce", "Hard bounce"
    REJECTED_BOUNCED = "rejected_bounced", "Dropped by SendGrid: it bounced before"
    REJECTED_INVALID = "rejected_invalid", "Dropped by SendGrid: invalid address"
    MANUAL = "manual", "Added by staff"


class Suppression(models.Model):
    """An address we never send to again (it hard bounced, or the provider dropped it as invalid)."""

    address = models.EmailField(unique=True)
    reason = models.CharField(max_length=32, choices=SuppressionReason.choices)
    detail = models.TextField(blank=True)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"
