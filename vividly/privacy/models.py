"""The access log, the record of retention runs, and the daily view totals that outlive view sessions."""

from django.db import models
from django.utils import timezone


class ActorKind(models.TextChoices):
    TEACHER = "teacher", "Teacher"
    STAFF = "staff", "Staff"
    SERVICE = "service", "Service"
    OPERATOR = "operator", "Operator (a management command)"


class AccessLogEntry(models.Model):
    """Someone read (or exported, or erased) a user's data. Rows are added, never changed,
    except that erasing the user blanks their name and id here (the digest remains)."""

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.CharField(max_length=200, help_text="Username, or service:<token name>, or operator.")
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    # No foreign key: the log outlives the users it names.
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    subject_username = models.CharField(max_length=150, blank=True, db_index=True)
    # HMAC-SHA256 of the subject's user id under SECRET_KEY: after an erasure it still lets
    # an auditor with the id confirm what was read and when, without the log naming anyone.
    subject_digest = models.CharField(max_length=64, db_index=True)
    action = models.CharField(max_length=64, help_text="analytics, progress, export, erasure, admin:<model>, …")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.subject_username or self.subject_digest[:12]}"


class PurgeRun(models.Model):
    """One run of the retention purge: when, what it deleted (or would have), how long it held a lock."""

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    counts = models.JSONField(default=dict, help_text="Rows deleted (or, in a dry run, due) per kind.")
    longest_batch_ms = models.PositiveIntegerField(default=0, help_text="The longest single transaction.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"purge at {self.started_at:%Y-%m-%d %H:%M}{' (dry run)' if self.dry_run else ''}"


class DailyViewTotal(models.Model):
    """Views of one video on one day, summed from view sessions before retention deletes them."""

    cache_key = models.CharField(max_length=64)
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    watch_seconds = models.FloatField(default=0)
    completions = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "cache_key"]
        constraints = [models.UniqueConstraint(fields=["cache_key", "day"], name="one_total_per_video_and_day")]

    def __str__(self) -> str:
        return f"{self.cache_key[:12]}… on {self.day}: {self.views} views"
