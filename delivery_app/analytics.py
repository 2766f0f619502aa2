"""Analytics per video (selectors): views, viewers, watch time, completion, devices, drop-off.

Whether content a staff user names exists is asked of the cache's fetch door, whose
read-through may warm the cache's own hot tier; delivery writes nothing here.
"""

from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet

from cache_app.services import cache_entries_fetch
from cache_app.types import is_cache_key
from delivery_app.models import ViewSession
from delivery_app.selectors import NOT_VISIBLE, content_access
from vividly.accounts.models import Role, User
from vividly.accounts.selectors import teacher_student_ids
from vividly.errors import Forbidden, NotFound

TENTHS = range(11)
# `complete` is the client's word; a view counts as verified complete when its watched
# time or its furthest position reached this share of the duration.
VERIFIED_SHARE = 0.9


def visible_views(*, user: User, cache_key: str) -> QuerySet:
    """Return the view sessions of `cache_key` that `user` may analyse (teacher: their students')."""
    if user.is_staff:
        if not is_cache_key(cache_key):
            raise NotFound(NOT_VISIBLE)
        views = ViewSession.objects.filter(cache_key=cache_key)
        if not views.exists():
            found, unavailable = cache_entries_fetch(cache_keys=[cache_key])
            if cache_key not in found and cache_key not in unavailable:
                raise NotFound(NOT_VISIBLE)
        return views
    if user.role != Role.TEACHER:
        raise Forbidden("Only teachers and staff see analytics.")
    if cache_key not in content_access(user=user, cache_keys=[cache_key]).visible:
        raise NotFound(NOT_VISIBLE)
    return ViewSession.objects.filter(cache_key=cache_key, user__in=teacher_student_ids(teacher=user))


def video_viewer_ids(*, user: User, cache_key: str) -> set[int]:
    """Return the ids of the students whose views of `cache_key` `user` may analyse."""
    return set(visible_views(user=user, cache_key=cache_key).values_list("user_id", flat=True).distinct())


def breakdown(views: QuerySet, field: str) -> dict[str, int]:
    rows = views.order_by().values_list(field).annotate(count=Count("id"))
    return dict(sorted(rows, key=lambda row: (-row[1], row[0])))


def video_analytics(*, user: User, cache_key: str) -> dict[str, Any]:
    """Return the numbers for one video; the drop-off curve gives, at each tenth of the
    duration, the share of views that got that far (a completed view got to the end)."""
    views = visible_views(user=user, cache_key=cache_key)
    reached = {
        f"reached_{tenth}": Count(
            "id", filter=Q(completed=True) | Q(furthest_position_seconds__gte=F("duration_seconds") * tenth / 10)
        )
        for tenth in TENTHS
    }
    totals = views.aggregate(
        views=Count("id"),
        unique_viewers=Count("user", distinct=True),
        avg_watch_seconds=Avg("watched_seconds"),
        completed_views=Count("id", filter=Q(completed=True)),
        verified_views=Count(
            "id",
            filter=Q(watched_seconds__gte=F("duration_seconds") * VERIFIED_SHARE)
            | Q(furthest_position_seconds__gte=F("duration_seconds") * VERIFIED_SHARE),
        ),
        **reached,
    )
    count = totals["views"]
    return {
        "cache_key": cache_key,
        "views": count,
        "unique_viewers": totals["unique_viewers"],
        "avg_watch_seconds": round(totals["avg_watch_seconds"] or 0.0, 3),
        "completion_rate": totals["completed_views"] / count if count else 0.0,
        "verified_completion_rate": totals["verified_views"] / count if count else 0.0,
        "devices": breakdown(views, "device_type"),
        "browsers": breakdown(views, "browser"),
        "os": breakdown(views, "os"),
        "dropoff": [
            {"at": tenth / 10, "share": totals[f"reached_{tenth}"] / count if count else 0.0} for tenth in TENTHS
        ],
    }
