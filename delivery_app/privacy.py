"""What delivery holds about a user, for the privacy registry: requests and view sessions (rolled up on expiry)."""

from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from delivery_app.models import ContentRequest, ViewSession
from vividly.privacy import registry
from vividly.privacy.retention import cutoff, purge_in_batches
from vividly.privacy.rows import model_rows
from vividly.privacy.services import daily_view_totals_add


def content_requests_export(user: Any) -> list[dict[str, Any]]:
    return model_rows(ContentRequest.objects.filter(user=user).order_by("created_at"))


def content_requests_erase(user: Any) -> int:
    deleted, _ = ContentRequest.objects.filter(user=user).delete()
    return deleted


def view_sessions_export(user: Any) -> list[dict[str, Any]]:
    return model_rows(ViewSession.objects.filter(user=user).order_by("started_at"))


def view_sessions_erase(user: Any) -> int:
    deleted, _ = ViewSession.objects.filter(user=user).delete()
    return deleted


def view_sessions_roll_up(batch: QuerySet) -> None:
    """Add the batch's views, watch time and completions to the daily totals per video."""
    daily_view_totals_add(
        totals=batch.order_by()
        .values("cache_key", day=TruncDate("started_at"))
        .annotate(
            views=Count("pk"), watch_seconds=Sum("watched_seconds"), completions=Count("pk", filter=Q(completed=True))
        )
    )


def view_sessions_purge(now: datetime, dry_run: bool) -> int:
    expired = ViewSession.objects.filter(started_at__lt=cutoff(now, "RETENTION_VIEW_DAYS"))
    return purge_in_batches(expired, dry_run=dry_run, order_by="started_at", before_delete=view_sessions_roll_up)


registry.register("content_requests", export=content_requests_export, erase=content_requests_erase)
registry.register("view_sessions", export=view_sessions_export, erase=view_sessions_erase, purge=view_sessions_purge)
