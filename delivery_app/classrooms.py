"""Reads for teachers: which classrooms a user may see, and each enrolled student's progress on one video.

A student's status for a video, the first that applies:

- `completed`: one of their views of it was marked complete;
- `in_progress`: one of their views has watched time or a furthest position above 0;
- `not_started`: their request is ready (or a view was opened) but nothing was watched yet;
- `pending`: their request waits for the content to be generated;
- `not_requested`: no open request: none, a cancelled one, or one whose generation failed
  (asking again reopens it, so the student has something to do).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from delivery_app.models import ContentRequest, RequestStatus, ViewSession
from delivery_app.selectors import visible_memo
from delivery_app.view_rows import aware
from vividly.accounts.models import Classroom, Enrollment, Role, User
from vividly.errors import Forbidden, NotFound

NOT_YOURS = "No such classroom, or it is not yours."
# Classroom ids are BigAutoField: a larger number names none (and PostgreSQL would refuse it).
LARGEST_ID = 2**63 - 1


class ProgressStatus:
    COMPLETED = "completed"
    IN_PROGRESS = "in_progress"
    NOT_STARTED = "not_started"
    PENDING = "pending"
    NOT_REQUESTED = "not_requested"

    ALL = (NOT_REQUESTED, PENDING, NOT_STARTED, IN_PROGRESS, COMPLETED)


@dataclass(frozen=True, slots=True)
class StudentProgress:
    """One enrolled student's progress on one video (watched time summed over their views)."""

    id: int
    username: str
    status: str
    watched_seconds: float
    furthest_position_seconds: float
    last_viewed_at: datetime | None


def visible_classrooms(*, user: User) -> QuerySet:
    """Return the classrooms `user` may read (a teacher: their own; staff: all); a student is refused."""
    if user.is_staff:
        return Classroom.objects.all()
    if user.role == Role.TEACHER:
        return Classroom.objects.filter(teacher=user)
    raise Forbidden("Only teachers and staff see classrooms.")


def classrooms_for(*, user: User) -> QuerySet:
    """Return the classrooms `user` may read, by name, each with its teacher's username and
    its number of enrolled students."""
    return (
        visible_classrooms(user=user)
        .annotate(
            teacher_username=F("teacher__username"),
            student_count=Count("enrollments", filter=Q(enrollments__student__role=Role.STUDENT)),
        )
        .order_by("name", "pk")
    )


def classroom_visible(*, user: User, classroom_id: int) -> Classroom:
    """Return the classroom `user` may read; anyone else's is a 404, like a missing one.

    A grant is remembered like granted content (`selectors.visible_memo`): a teacher's
    dashboard polls its classes, and building this query cost a third of a class's progress
    read. A classroom handed to another teacher or deleted, or a changed user, is announced
    (receivers) and forgotten in every process within a second; refusals are never remembered.
    """
    memo_key = f"classroom:{user.pk}:{classroom_id}"
    classroom = visible_memo.get(memo_key)
    if classroom is not None:
        return classroom
    classrooms = visible_classrooms(user=user)
    classroom = classrooms.filter(pk=classroom_id).first() if 1 <= classroom_id <= LARGEST_ID else None
    if classroom is None:
        raise NotFound(NOT_YOURS)
    visible_memo.put(memo_key, classroom)
    return classroom


def enrolled_student_ids(*, classroom_id: int) -> QuerySet:
    """Return a subquery of the ids of the students enrolled in the classroom."""
    return User.objects.filter(role=Role.STUDENT, enrollments__classroom_id=classroom_id).values("id")


def progress_status(*, completed: bool, watched: float, furthest: float, viewed: bool, request: str | None) -> str:
    """Return a student's status for a video (see the module docstring) from what their views
    and their request say."""
    if completed:
        return ProgressStatus.COMPLETED
    if watched > 0 or furthest > 0:
        return ProgressStatus.IN_PROGRESS
    if viewed or request == RequestStatus.READY:
        return ProgressStatus.NOT_STARTED
    if request == RequestStatus.PENDING:
        return ProgressStatus.PENDING
    return ProgressStatus.NOT_REQUESTED


# Hand-written because it is the hot read of a teacher's dashboard: measured, the ORM took
# ~2 ms of CPU to build this query (annotations, a subquery, a filtered join) and SQLite
# ~0.3 ms to run it. Portable SQL (SQLite and PostgreSQL); table and column names come from
# the models; tests/test_progress_properties.py checks it against the status rules.
PROGRESS_SQL = """
SELECT u.{user_id}, u.{username},
    (SELECT r.{request_status} FROM {requests} r WHERE r.{request_user} = u.{user_id} AND r.{request_key} = %s),
    COALESCE(SUM(v.{watched}), 0), COALESCE(MAX(v.{furthest}), 0), MAX(v.{last_event}),
    COUNT(v.{view_id}), COUNT(CASE WHEN v.{completed} THEN 1 END)
FROM {users} u
JOIN {enrollments} e ON e.{enrollment_student} = u.{user_id} AND e.{enrollment_classroom} = %s
LEFT JOIN {views} v ON v.{view_user} = u.{user_id} AND v.{view_key} = %s
WHERE u.{role} = %s
GROUP BY u.{user_id}, u.{username}
ORDER BY u.{username}, u.{user_id}
"""


def progress_sql() -> str:
    """Return PROGRESS_SQL with the models' quoted table and column names."""
    quote = connection.ops.quote_name

    def column(model: Any, field: str) -> str:
        return quote(model._meta.get_field(field).column)

    return PROGRESS_SQL.format(
        users=quote(User._meta.db_table),
        user_id=column(User, "id"),
        username=column(User, "username"),
        role=column(User, "role"),
        enrollments=quote(Enrollment._meta.db_table),
        enrollment_student=column(Enrollment, "student"),
        enrollment_classroom=column(Enrollment, "classroom"),
        requests=quote(ContentRequest._meta.db_table),
        request_status=column(ContentRequest, "status"),
        request_user=column(ContentRequest, "user"),
        request_key=column(ContentRequest, "cache_key"),
        views=quote(ViewSession._meta.db_table),
        view_id=column(ViewSession, "id"),
        view_user=column(ViewSession, "user"),
        view_key=column(ViewSession, "cache_key"),
        watched=column(ViewSession, "watched_seconds"),
        furthest=column(ViewSession, "furthest_position_seconds"),
        last_event=column(ViewSession, "last_event_at"),
        completed=column(ViewSession, "completed"),
    )


def classroom_progress(*, classroom: Classroom, cache_key: str) -> list[StudentProgress]:
    """Return one row per student enrolled in `classroom` for the video `cache_key`, by
    username, in one query whatever the size of the class."""
    with connection.cursor() as cursor:
        cursor.execute(progress_sql(), [cache_key, classroom.pk, cache_key, Role.STUDENT])
        rows = cursor.fetchall()
    return [
        StudentProgress(
            id=pk,
            username=username,
            status=progress_status(
                completed=completions > 0, watched=watched, furthest=furthest, viewed=views > 0, request=request
            ),
            watched_seconds=float(watched),
            furthest_position_seconds=float(furthest),
            last_viewed_at=aware(last_event),
        )
        for pk, username, request, watched, furthest, last_event, views, completions in rows
    ]
