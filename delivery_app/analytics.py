"""Analytics per video (selectors): views, viewers, watch time, completion, devices, drop-off,
over all views or those of some days or one classroom, and a roll-up per classroom.

Whether content a staff user names exists is asked of the cache's fetch door, whose
read-through may warm the cache's own hot tier; delivery writes nothing here.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet

from cache_app.services import cache_entries_fetch
from cache_app.types import is_cache_key
from delivery_app.classrooms import classroom_visible, enrolled_student_ids, visible_classrooms
from delivery_app.models import ContentRequest, ViewSession
from delivery_app.selectors import NOT_VISIBLE, content_access
from vividly.accounts.models import Enrollment, Role, User
from vividly.accounts.selectors import teacher_student_ids
from vividly.errors import Forbidden, NotFound

TENTHS = range(11)
# `complete` is the client's word; a view counts as verified complete when its watched
# time or its furthest position reached this share of the duration.
VERIFIED_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class ViewFilter:
    """Which views to count: started on `first_day` or later, on `last_day` or earlier (whole
    days in UTC, both included), by students of the classroom `classroom_id`; None: no bound."""

    first_day: date | None = None
    last_day: date | None = None
    classroom_id: int | None = None


EVERY_VIEW = ViewFilter()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def verified(prefix: str = "") -> Q:
    """Return the condition of a verified complete view (`prefix`: the path to the view)."""
    share = F(f"{prefix}duration_seconds") * VERIFIED_SHARE
    return Q(**{f"{prefix}watched_seconds__gte": share}) | Q(**{f"{prefix}furthest_position_seconds__gte": share})


def visible_views(*, user: User, cache_key: str, only: ViewFilter = EVERY_VIEW) -> QuerySet:
    """Return the view sessions of `cache_key` that `user` may analyse (teacher: their students'),
    narrowed to `only`; a classroom the user may not read is a 404."""
    views = all_visible_views(user=user, cache_key=cache_key)
    if only.first_day is not None:
        views = views.filter(started_at__gte=day_start(only.first_day))
    if only.last_day is not None and only.last_day < date.max:
        views = views.filter(started_at__lt=day_start(only.last_day + timedelta(days=1)))
    if only.classroom_id is not None:
        classroom = classroom_visible(user=user, classroom_id=only.classroom_id)
        views = views.filter(user__in=enrolled_student_ids(classroom_id=classroom.pk))
    return views


def all_visible_views(*, user: User, cache_key: str) -> QuerySet:
    """Return every view session of `cache_key` that `user` may analyse; content the user
    may not see (or that does not exist) is a 404, a student is refused."""
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


def video_viewer_ids(*, user: User, cache_key: str, only: ViewFilter = EVERY_VIEW) -> set[int]:
    """Return the ids of the students whose views of `cache_key` (narrowed to `only`) `user` may analyse."""
    return set(visible_views(user=user, cache_key=cache_key, only=only).values_list("user_id", flat=True).distinct())


def breakdown(views: QuerySet, field: str) -> dict[str, int]:
    rows = views.order_by().values_list(field).annotate(count=Count("id"))
    return dict(sorted(rows, key=lambda row: (-row[1], row[0])))


def video_analytics(*, user: User, cache_key: str, only: ViewFilter = EVERY_VIEW) -> dict[str, Any]:
    """Return the numbers for one video (its views narrowed to `only`); the drop-off curve
    gives, at each tenth of the duration, the share of views that got that far (a completed
    view got to the end)."""
    views = visible_views(user=user, cache_key=cache_key, only=only)
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
        verified_views=Count("id", filter=verified()),
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


def video_classrooms(*, user: User, cache_key: str) -> list[dict[str, Any]]:
    """Return, for each classroom `user` may read whose students asked for or watched
    `cache_key`, by name: its students, how many of them viewed it, and the completion
    rates of their views (as `video_analytics` counts them), in one query."""
    all_visible_views(user=user, cache_key=cache_key)  # the content's 404 (or a student's 403) first
    audience = ContentRequest.objects.filter(cache_key=cache_key, user__enrollments__classroom=OuterRef("pk"))
    watchers = ViewSession.objects.filter(cache_key=cache_key, user__enrollments__classroom=OuterRef("pk"))
    classrooms = visible_classrooms(user=user).filter(Exists(audience) | Exists(watchers))
    rows = (
        Enrollment.objects.filter(classroom__in=classrooms, student__role=Role.STUDENT)
        # Joined on the key too: only this video's views fan the enrolments out.
        .annotate(
            video_views=FilteredRelation(
                "student__view_sessions", condition=Q(student__view_sessions__cache_key=cache_key)
            )
        )
        .values("classroom_id", "classroom__name", "classroom__teacher__username")
        .annotate(
            students=Count("student_id", distinct=True),
            viewers=Count("video_views__user_id", distinct=True),
            views=Count("video_views"),
            completed_views=Count("video_views", filter=Q(video_views__completed=True)),
            verified_views=Count("video_views", filter=verified("video_views__")),
        )
        .order_by("classroom__name", "classroom_id")
    )
    return [
        {
            "id": row["classroom_id"],
            "name": row["classroom__name"],
            "teacher": row["classroom__teacher__username"],
            "students": row["students"],
            "viewers": row["viewers"],
            "views": row["views"],
            "completion_rate": row["completed_views"] / row["views"] if row["views"] else 0.0,
            "verified_completion_rate": row["verified_views"] / row["views"] if row["views"] else 0.0,
        }
        for row in rows
    ]
