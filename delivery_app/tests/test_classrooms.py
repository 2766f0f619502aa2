"""Classroom selectors: who sees which classroom, and each enrolled student's status on one video."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery_app.classrooms import (
    LARGEST_ID,
    StudentProgress,
    classroom_progress,
    classroom_visible,
    classrooms_for,
)
from delivery_app.models import RequestStatus
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content, unstored_content
from vividly.accounts.tests.factories import ClassroomFactory, StudentFactory, TeacherFactory
from vividly.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


def test_a_teacher_sees_their_own_classrooms_and_staff_every_one(school):
    extra = ClassroomFactory(teacher=school["teacher_a"], name="A second class", students=[school["student_b"]])
    mine = classrooms_for(user=school["teacher_a"])
    assert [(c.name, c.teacher_username, c.student_count) for c in mine] == [
        ("A second class", school["teacher_a"].username, 1),
        (school["teacher_a"].classrooms.exclude(pk=extra.pk).get().name, school["teacher_a"].username, 1),
    ]
    assert classrooms_for(user=school["staff"]).count() == 3
    with pytest.raises(Forbidden):
        classrooms_for(user=school["student_a"])


def test_a_teacher_enrolled_as_a_member_is_not_counted_as_a_student(school):
    classroom = school["teacher_a"].classrooms.get()
    classroom.students.add(TeacherFactory())
    assert classrooms_for(user=school["teacher_a"]).get().student_count == 1
    assert [row.id for row in classroom_progress(classroom=classroom, cache_key="a" * 64)] == [school["student_a"].pk]


def test_another_teachers_classroom_looks_like_a_missing_one(school):
    theirs = school["teacher_b"].classrooms.get()
    with pytest.raises(NotFound) as other:
        classroom_visible(user=school["teacher_a"], classroom_id=theirs.pk)
    with pytest.raises(NotFound) as missing:
        classroom_visible(user=school["teacher_a"], classroom_id=theirs.pk + 1000)
    assert other.value.message == missing.value.message
    assert classroom_visible(user=school["staff"], classroom_id=theirs.pk) == theirs
    assert classroom_visible(user=school["teacher_b"], classroom_id=theirs.pk) == theirs
    for beyond in (0, LARGEST_ID + 1, 10**30):  # no query PostgreSQL would refuse
        with pytest.raises(NotFound):
            classroom_visible(user=school["staff"], classroom_id=beyond)
    with pytest.raises(Forbidden):
        classroom_visible(user=school["student_a"], classroom_id=theirs.pk)


def class_of(size: int) -> tuple:
    teacher = TeacherFactory()
    students = [StudentFactory() for _ in range(size)]
    return ClassroomFactory(teacher=teacher, students=students), students


def test_each_status_of_a_class(school):
    content = stored_content()
    key = content["cache_key"]
    classroom, (done, watching, seeked, ready, opened, waiting, nothing, cancelled, failed) = class_of(9)
    for student in (done, watching, seeked, ready, opened):
        requested(student, content)
    requested(waiting, content, status=RequestStatus.PENDING)
    requested(cancelled, content, status=RequestStatus.CANCELLED)
    requested(failed, content, status=RequestStatus.FAILED)
    now = timezone.now()
    ViewSessionFactory(user=done, cache_key=key, watched_seconds=40, furthest_position_seconds=50, last_event_at=now)
    ViewSessionFactory(
        user=done,
        cache_key=key,
        watched_seconds=60,
        furthest_position_seconds=100,
        completed=True,
        completed_at=now,
        last_event_at=now - timedelta(hours=1),
    )
    ViewSessionFactory(user=watching, cache_key=key, watched_seconds=12.34567, furthest_position_seconds=12)
    ViewSessionFactory(user=seeked, cache_key=key, watched_seconds=0, furthest_position_seconds=30)
    ViewSessionFactory(user=opened, cache_key=key)  # opened, nothing watched
    # Views and requests of other content, and of other students, change nothing.
    other = stored_content()
    requested(nothing, other)
    ViewSessionFactory(user=nothing, cache_key=other["cache_key"], completed=True, watched_seconds=100)
    ViewSessionFactory(user=school["student_a"], cache_key=key, completed=True)
    requested(waiting, unstored_content(), status=RequestStatus.READY)

    rows = {row.id: row for row in classroom_progress(classroom=classroom, cache_key=key)}

    assert {student.username: rows[student.pk].status for student in classroom.students.all()} == {
        done.username: "completed",
        watching.username: "in_progress",
        seeked.username: "in_progress",
        ready.username: "not_started",
        opened.username: "not_started",
        waiting.username: "pending",
        nothing.username: "not_requested",
        cancelled.username: "not_requested",
        failed.username: "not_requested",
    }
    assert rows[done.pk] == StudentProgress(
        id=done.pk,
        username=done.username,
        status="completed",
        watched_seconds=100.0,  # summed over her views
        furthest_position_seconds=100.0,  # the furthest any reached
        last_viewed_at=now,  # the latest event of any
    )
    assert rows[watching.pk].watched_seconds == pytest.approx(12.34567)
    assert rows[nothing.pk] == StudentProgress(nothing.pk, nothing.username, "not_requested", 0.0, 0.0, None)
    assert rows[ready.pk].last_viewed_at is None and rows[opened.pk].last_viewed_at is not None


def test_rows_are_by_username_one_per_enrolled_student():
    teacher = TeacherFactory()
    names = ["zoë", "Ana", "bob", "李雷"]
    classroom = ClassroomFactory(teacher=teacher, students=[StudentFactory(username=name) for name in names])
    ClassroomFactory(teacher=teacher, students=[StudentFactory(username="aaron")])  # another class of hers
    rows = classroom_progress(classroom=classroom, cache_key="b" * 64)
    assert [row.username for row in rows] == sorted(names)
    assert {row.status for row in rows} == {"not_requested"}
    assert classroom_progress(classroom=ClassroomFactory(teacher=teacher), cache_key="b" * 64) == []


@pytest.mark.parametrize("size", [5, 50])
def test_a_class_is_read_in_one_query_whatever_its_size(size):
    content = stored_content()
    key = content["cache_key"]
    classroom, students = class_of(size)
    for index, student in enumerate(students):
        if index % 5 == 0:
            continue  # not requested
        requested(student, content, status=RequestStatus.PENDING if index % 5 == 1 else RequestStatus.READY)
        if index % 5 >= 3:
            ViewSessionFactory(user=student, cache_key=key, watched_seconds=index, completed=index % 5 == 4)
            ViewSessionFactory(user=student, cache_key=key, watched_seconds=1)
    with CaptureQueriesContext(connection) as queries:
        rows = classroom_progress(classroom=classroom, cache_key=key)
    assert len(queries) == 1
    assert len(rows) == size
    statuses = [row.status for row in rows]
    assert statuses.count("completed") == statuses.count("in_progress") == size // 5
