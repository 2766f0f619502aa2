"""A video's analytics narrowed to some days or one classroom, and its roll-up per classroom."""

from datetime import UTC, date, datetime

import pytest

from delivery_app.analytics import ViewFilter, video_analytics, video_classrooms
from delivery_app.models import ViewSession
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content
from vividly.accounts.tests.factories import ClassroomFactory, StudentFactory
from vividly.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


def started(view: ViewSession, moment: datetime) -> None:
    ViewSession.objects.filter(pk=view.pk).update(started_at=moment)  # auto_now_add: set it afterwards


@pytest.fixture
def video(school):
    """Views of one video by teacher A's student around the days of 2026-03-10 and 11 (UTC), and one by B's."""
    content = stored_content()
    key = content["cache_key"]
    for student in (school["student_a"], school["student_b"]):
        requested(student, content)
    moments = {
        "before": datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=UTC),
        "first": datetime(2026, 3, 10, 0, 0, tzinfo=UTC),
        "last": datetime(2026, 3, 11, 23, 59, 59, 999999, tzinfo=UTC),
        "after": datetime(2026, 3, 12, 0, 0, tzinfo=UTC),
    }
    for moment in moments.values():
        started(ViewSessionFactory(user=school["student_a"], cache_key=key), moment)
    started(ViewSessionFactory(user=school["student_b"], cache_key=key, completed=True), moments["first"])
    return {"key": key, **school}


def views(video, user: str, **only) -> int:
    return video_analytics(user=video[user], cache_key=video["key"], only=ViewFilter(**only))["views"]


def test_from_and_to_are_whole_utc_days_both_included(video):
    assert views(video, "staff") == 5
    assert views(video, "staff", first_day=date(2026, 3, 10), last_day=date(2026, 3, 11)) == 3
    assert views(video, "staff", first_day=date(2026, 3, 10)) == 4
    assert views(video, "staff", last_day=date(2026, 3, 11)) == 4
    assert views(video, "staff", first_day=date(2026, 3, 11), last_day=date(2026, 3, 11)) == 1
    assert views(video, "teacher_a", first_day=date(2026, 3, 10), last_day=date(2026, 3, 10)) == 1
    assert views(video, "staff", first_day=date.min, last_day=date.max) == 5  # the last day has no next one


def test_a_classroom_narrows_to_its_students(video):
    a, b = video["teacher_a"].classrooms.get(), video["teacher_b"].classrooms.get()
    assert views(video, "staff", classroom_id=a.pk) == 4
    numbers = video_analytics(user=video["staff"], cache_key=video["key"], only=ViewFilter(classroom_id=b.pk))
    assert (numbers["views"], numbers["completion_rate"]) == (1, 1.0)
    assert views(video, "teacher_a", classroom_id=a.pk, first_day=date(2026, 3, 12)) == 1
    empty = ClassroomFactory(teacher=video["teacher_a"])
    assert views(video, "teacher_a", classroom_id=empty.pk) == 0


def test_a_classroom_the_caller_may_not_read_is_a_404(video):
    theirs = video["teacher_b"].classrooms.get()
    for classroom_id in (theirs.pk, theirs.pk + 1000):
        with pytest.raises(NotFound):
            views(video, "teacher_a", classroom_id=classroom_id)
    with pytest.raises(Forbidden):
        views(video, "student_a", classroom_id=theirs.pk)


def test_the_roll_up_per_classroom(video):
    classroom_a = video["teacher_a"].classrooms.get()
    newcomer, idle = StudentFactory(), StudentFactory()
    classroom_a.students.add(newcomer, idle)
    ViewSessionFactory(user=newcomer, cache_key=video["key"], watched_seconds=95, completed=True)
    ViewSessionFactory(user=newcomer, cache_key=stored_content()["cache_key"], completed=True)  # another video
    ClassroomFactory(teacher=video["teacher_b"], name="Unconcerned", students=[StudentFactory()])
    rows = video_classrooms(user=video["staff"], cache_key=video["key"])
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {classroom_a.name, video["teacher_b"].classrooms.exclude(name="Unconcerned").get().name}
    assert by_name[classroom_a.name] == {
        "id": classroom_a.pk,
        "name": classroom_a.name,
        "teacher": video["teacher_a"].username,
        "students": 3,
        "viewers": 2,
        "views": 5,
        "completion_rate": 1 / 5,
        "verified_completion_rate": 1 / 5,
    }
    assert video_classrooms(user=video["teacher_b"], cache_key=video["key"]) == [
        row for row in rows if row["teacher"] == video["teacher_b"].username
    ]
    with pytest.raises(Forbidden):
        video_classrooms(user=video["student_a"], cache_key=video["key"])


# --- through the API -------------------------------------------------------------------


def analytics_of(client, key: str, query: str):
    return client.get(f"/api/v1/content/{key}/analytics{query}")


def test_the_api_takes_from_to_and_classroom(as_user, video):
    staff = as_user(video["staff"])
    assert analytics_of(staff, video["key"], "?from=2026-03-10&to=2026-03-11").json()["views"] == 3
    assert analytics_of(staff, video["key"], "?from=2026-03-11&to=2026-03-11").json()["views"] == 1
    classroom_b = video["teacher_b"].classrooms.get()
    assert analytics_of(staff, video["key"], f"?classroom={classroom_b.pk}").json()["unique_viewers"] == 1
    teacher_a = as_user(video["teacher_a"])
    assert analytics_of(teacher_a, video["key"], f"?classroom={classroom_b.pk}").status_code == 404
    assert analytics_of(teacher_a, video["key"], "?classroom=999999").json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=2026-03-12&to=2026-03-11", "from"),
        ("?from=yesterday", "from"),
        ("?from=2026-03-10T00:00:00Z", "from"),
        ("?to=2026-02-30", "to"),
        ("?to=", "to"),
        ("?classroom=abc", "classroom"),
        ("?classroom=0", "classroom"),
        ("?classroom=-1", "classroom"),
        (f"?classroom={2**63}", "classroom"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(as_user, video, query, field):
    response = analytics_of(as_user(video["teacher_a"]), video["key"], query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"]


def test_only_the_viewers_counted_are_logged_as_read(as_user, video):
    from vividly.privacy.access_log import access_log_flush
    from vividly.privacy.models import AccessLogEntry

    classroom_b = video["teacher_b"].classrooms.get()
    assert analytics_of(as_user(video["staff"]), video["key"], f"?classroom={classroom_b.pk}").status_code == 200
    access_log_flush()
    assert list(AccessLogEntry.objects.values_list("subject_username", "action")) == [
        (video["student_b"].username, "analytics")
    ]
