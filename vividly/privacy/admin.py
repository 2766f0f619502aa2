"""Read-only admin pages: the access log, the retention runs and the daily view totals."""

from django.contrib import admin

from vividly.admin_site import HistoryAdminMixin
from vividly.privacy.models import AccessLogEntry, DailyViewTotal, PurgeRun


class ReadOnlyAdmin(HistoryAdminMixin, admin.ModelAdmin):
    """Rows written by the service only: nobody adds, edits or deletes them by hand."""


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "actor", "actor_kind", "action", "subject_username", "subject_id")
    list_filter = ("actor_kind", "action")
    search_fields = ("subject_username", "actor", "=subject_digest")
    date_hierarchy = "occurred_at"


@admin.register(PurgeRun)
class PurgeRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "dry_run", "counts", "longest_batch_ms", "finished_at")
    list_filter = ("dry_run",)


@admin.register(DailyViewTotal)
class DailyViewTotalAdmin(ReadOnlyAdmin):
    list_display = ("day", "cache_key", "views", "watch_seconds", "completions")
    search_fields = ("=cache_key",)
    date_hierarchy = "day"
