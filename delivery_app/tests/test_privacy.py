"""Retention of view sessions: expired ones are rolled up per video and day, then deleted in batches."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command

from delivery_app.models import ViewSession
from delivery_app.tests.factories import ViewSessionFactory
from vividly.accounts.tests.factories import StudentFactory
from vividly.privacy.models import DailyViewTotal, PurgeRun
from vividly.privacy.services import expired_data_purge

pytestmark = pytest.mark.django_db

# Noon of today (UTC), not a fixed date: the dry-run test runs the command, which reads the
# real clock, and a fixed NOW made its "kept" row (364 days old) expire a day later. Noon keeps
# the hour-apart rows of one day on that day whenever the suite runs.
NOW = datetime.combine(datetime.now(UTC).date(), time(12), tzinfo=UTC)
KEY_A, KEY_B = "a" * 64, "b" * 64


def view(*, cache_key: str, started_at: datetime, watched: float = 10.0, completed: bool = False) -> ViewSession:
    session = ViewSessionFactory(
        user=StudentFactory(), cache_key=cache_key, watched_seconds=watched, completed=completed
    )
    ViewSession.objects.filter(pk=session.pk).update(started_at=started_at)  # started_at is auto_now_add
    return session


@pytest.fixture
def views():
    old_day = NOW - timedelta(days=400)
    return {
        "old": [
            view(cache_key=KEY_A, started_at=old_day, watched=30.0, completed=True),
            view(cache_key=KEY_A, started_at=old_day + timedelta(hours=1), watched=12.5),
            view(cache_key=KEY_A, started_at=old_day + timedelta(days=1), watched=5.0, completed=True),
            view(cache_key=KEY_B, started_at=old_day, watched=7.0),
        ],
        "kept": [view(cache_key=KEY_A, started_at=NOW - timedelta(days=364))],
        "old_day": old_day.date(),
    }


def totals() -> dict[tuple[str, date], tuple[int, float, int]]:
    return {(t.cache_key, t.day): (t.views, t.watch_seconds, t.completions) for t in DailyViewTotal.objects.all()}


def test_expired_sessions_are_rolled_up_per_video_and_day_then_deleted(views, settings):
    settings.RETENTION_BATCH_SIZE = 3  # the four expired rows take two batches; a day spans both
    run = expired_data_purge(now=NOW)
    assert run.counts["view_sessions"] == 4
    assert list(ViewSession.objects.values_list("pk", flat=True)) == [views["kept"][0].pk]
    day = views["old_day"]
    assert totals() == {
        (KEY_A, day): (2, 42.5, 1),
        (KEY_A, day + timedelta(days=1)): (1, 5.0, 1),
        (KEY_B, day): (1, 7.0, 0),
    }


def test_a_later_purge_adds_to_the_totals_of_a_day(views):
    day = views["old_day"]
    expired_data_purge(now=NOW)
    view(cache_key=KEY_B, started_at=datetime.combine(day, datetime.min.time()).replace(tzinfo=NOW.tzinfo), watched=3.0)
    expired_data_purge(now=NOW)
    assert totals()[(KEY_B, day)] == (2, 10.0, 0)


def test_a_dry_run_counts_and_deletes_nothing(views, capsys):
    call_command("purge_expired_data", "--dry-run")
    assert '"view_sessions": 4' in capsys.readouterr().out
    assert ViewSession.objects.count() == 5
    assert not DailyViewTotal.objects.exists()
    assert PurgeRun.objects.get().dry_run is True


def test_the_window_is_a_setting(views, settings):
    settings.RETENTION_VIEW_DAYS = 1000
    assert expired_data_purge(now=NOW).counts["view_sessions"] == 0
    assert ViewSession.objects.count() == 5


# --- minimisation and the access log (issue 11) ------------------------------------------

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_a_view_keeps_the_device_families_and_never_the_raw_user_agent(as_user, school):
    from delivery_app.tests.factories import requested, stored_content

    content = stored_content()
    requested(school["student_a"], content)
    response = as_user(school["student_a"]).post(
        f"/api/v1/content/{content['cache_key']}/view", {}, format="json", HTTP_USER_AGENT=IPHONE
    )
    assert response.status_code == 201
    row = ViewSession.objects.values().get(pk=response.json()["view_id"])
    assert (row["device_type"], row["browser"], row["os"]) == ("mobile", "Mobile Safari", "iOS")
    assert not any("Mozilla" in str(value) or "AppleWebKit" in str(value) for value in row.values())
    assert "user_agent" not in {field.name for field in ViewSession._meta.get_fields()}


def test_a_teachers_reads_of_her_students_are_logged_and_a_students_own_are_not(as_user, school):
    from delivery_app.tests.factories import requested, stored_content
    from vividly.privacy.access_log import access_log_flush
    from vividly.privacy.models import AccessLogEntry

    content = stored_content()
    requested(school["student_a"], content)
    ViewSessionFactory(user=school["student_a"], cache_key=content["cache_key"])
    as_user(school["student_a"]).get("/api/v1/content/requests")
    assert as_user(school["teacher_a"]).get(f"/api/v1/content/{content['cache_key']}/analytics").status_code == 200
    assert as_user(school["teacher_a"]).get("/api/v1/content/requests").status_code == 200
    access_log_flush()
    logged = set(AccessLogEntry.objects.values_list("actor", "subject_username", "action"))
    teacher, student = school["teacher_a"].username, school["student_a"].username
    assert logged == {(teacher, student, "analytics"), (teacher, student, "progress")}
