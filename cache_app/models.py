"""An index of stored cache entries: written on store, never read on the check path."""

from django.db import models


class CacheEntry(models.Model):
    cache_key = models.CharField(max_length=64, primary_key=True)
    topic_id = models.CharField(max_length=200, db_index=True)
    interest = models.CharField(max_length=200)
    style = models.CharField(max_length=200)
    title = models.CharField(max_length=500)
    duration_seconds = models.FloatField()
    stored_at = models.DateTimeField(db_index=True)
    store_count = models.PositiveIntegerField(default=1, help_text="How many times this key was stored.")
    # Who stored it last: a staff username, or `service:<name>` for a service token.
    stored_by = models.CharField(max_length=150, blank=True, default="", help_text="Who stored it last.")

    class Meta:
        verbose_name = "cache entry"
        verbose_name_plural = "cache entries"
        ordering = ["-stored_at"]
        indexes = [models.Index(fields=["topic_id", "interest", "style"], name="cache_entry_triple")]

    def __str__(self) -> str:
        return f"{self.topic_id} | {self.interest} | {self.style}"
