"""Notifications, their delivery attempts, provider events, suppressed addresses and recipients' preferences."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.timezone import now

from notifications_app.categories import Category, Channel
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
    # Accepted, never sent: the address hard bounced, unsubscribed, complained or opted out
    # (`suppression_reason` says which).
    SUPPRESSED = "suppressed"
    # Never sent alone: folded into a daily digest email (`digest`).
    DIGESTED = "digested"


class SuppressionReason(models.TextChoices):
    """Why a notification was not sent (its `suppression_reason`)."""

    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    HARD_BOUNCE = "hard_bounce", "Hard bounce"
    COMPLAINT = "complaint", "Reported as spam"
    PREFERENCE = "preference", "Turned off in the preferences"


class Hold(models.TextChoices):
    """Why a queued notification waits until `scheduled_for`."""

    NONE = "", "Not held"
    QUIET_HOURS = "quiet_hours", "Recipient's quiet hours"
    DIGEST = "digest", "Waiting for the recipient's daily digest"


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
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.TRANSACTIONAL)
    suppression_reason = models.CharField(max_length=16, choices=SuppressionReason.choices, blank=True)
    # Held (quiet hours, a daily digest): not sent, nor swept back, before this time.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    hold = models.CharField(max_length=16, choices=Hold.choices, blank=True, default=Hold.NONE)
    # The digest email a `digested` notification was folded into.
    digest = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="folded")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The digest run: held rows of a recipient, by due time.
            models.Index(fields=["hold", "scheduled_for"], name="notif_hold_scheduled_idx"),
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


class SuppressionListReason(models.TextChoices):
    """Why an address is on the suppression list (a `Suppression` row)."""

    HARD_BOUNCE = "hard_bounce", "Hard bounce"
    REJECTED_BOUNCED = "rejected_bounced", "Dropped by SendGrid: it bounced before"
    REJECTED_INVALID = "rejected_invalid", "Dropped by SendGrid: invalid address"
    MANUAL = "manual", "Added by staff"


class Suppression(models.Model):
    """An address we never send to again (it hard bounced, or the provider dropped it as invalid)."""

    address = models.EmailField(unique=True)
    reason = models.CharField(max_length=32, choices=SuppressionListReason.choices)
    detail = models.TextField(blank=True)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} ({self.get_reason_display()})"


class Digest(models.TextChoices):
    OFF = "off"
    DAILY = "daily"


class RecipientPreference(models.Model):
    """What one address wants to receive, and when; a user's own row is linked to them.

    Keyed by address because the internal API sends to addresses that belong to no user:
    an unsubscribe from those must have somewhere to go too.
    """

    address = models.EmailField(unique=True, null=True, blank=True, help_text="Lower case.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    digest = models.CharField(max_length=8, choices=Digest.choices, default=Digest.OFF)
    quiet_start = models.TimeField(null=True, blank=True, help_text="Local time (the time zone below).")
    quiet_end = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", help_text="An IANA name, e.g. Europe/Paris.")
    # Spam reports (SendGrid `spamreport`) about emails to this address.
    complaints = models.PositiveIntegerField(default=0)
    last_complaint_at = models.DateTimeField(null=True, blank=True)
    # `now`, not `timezone.now`: the field above shadows the module in the class body.
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["address"]

    def __str__(self) -> str:
        return self.address or f"user {self.user_id}"


class OptOutReason(models.TextChoices):
    PREFERENCE = "preference", "Turned off in the preferences"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed (link or provider)"
    COMPLAINT = "complaint", "Reported as spam"


class ChannelSetting(models.Model):
    """One category and channel of a recipient; without a row it is on."""

    preference = models.ForeignKey(RecipientPreference, on_delete=models.CASCADE, related_name="settings")
    category = models.CharField(max_length=32, choices=Category.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    enabled = models.BooleanField(default=True)
    # Why it is off (empty while on).
    reason = models.CharField(max_length=16, choices=OptOutReason.choices, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    # The provider event that turned it off (an unsubscribe or a spam report), if one did.
    event = models.ForeignKey(ProviderEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["preference", "category", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["preference", "category", "channel"], name="channel_setting_unique"),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else f"off ({self.reason})"
        return f"{self.category}/{self.channel}: {state}"


class SuppressionLift(models.Model):
    """A staff decision to send again to an address that bounced, unsubscribed or complained. Never changed."""

    address = models.CharField(max_length=254, db_index=True)
    # What was lifted: `hard_bounce` (the Suppression row) or `unsubscribed`/`complaint`/`preference`.
    lifted = models.CharField(max_length=32)
    category = models.CharField(max_length=32, blank=True)
    lifted_by = models.CharField(max_length=150)
    reason = models.TextField()
    lifted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-lifted_at"]

    def __str__(self) -> str:
        return f"{self.address}: {self.lifted} lifted by {self.lifted_by}"
