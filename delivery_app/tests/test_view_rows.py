"""The hand-written statements of a progress event read and write exactly what the ORM does (SQLite and PostgreSQL)."""

from datetime import UTC, datetime, timedelta

import pytest

from delivery_app.models import ViewSession
from delivery_app.tests.factories import ViewSessionFactory
from delivery_app.view_rows import STATE_FIELDS, view_progress_write, view_state_read
from vividly.accounts.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

WITH_MICROSECONDS = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)
WHOLE_SECOND = datetime(2026, 10, 25, 1, 0, 0, tzinfo=UTC)  # stored without a fraction by SQLite


def view_of(**fields) -> ViewSession:
    return ViewSessionFactory(user=StudentFactory(), cache_key="a" * 64, **fields)


def orm_state(view: ViewSession) -> dict:
    return ViewSession.objects.values(*STATE_FIELDS).get(pk=view.pk)


@pytest.mark.parametrize("last_event_at", [WITH_MICROSECONDS, WHOLE_SECOND])
@pytest.mark.parametrize("completed", [False, True])
def test_the_state_read_is_the_orms(last_event_at, completed):
    view = view_of(
        last_event_at=last_event_at,
        position_seconds=12.5,
        furthest_position_seconds=40.25,
        watched_seconds=33.0,
        completed=completed,
        completed_at=last_event_at + timedelta(seconds=1) if completed else None,
    )
    state = view_state_read(view_id=view.pk, user_id=view.user_id, cache_key=view.cache_key)
    assert state == orm_state(view)
    assert state["last_event_at"] == last_event_at and state["last_event_at"].tzinfo is not None
    assert type(state["completed"]) is bool


def test_another_users_view_or_another_video_reads_nothing():
    view = view_of()
    other = StudentFactory()
    assert view_state_read(view_id=view.pk, user_id=other.pk, cache_key=view.cache_key) is None
    assert view_state_read(view_id=view.pk, user_id=view.user_id, cache_key="0" * 64) is None
    assert (
        view_state_read(view_id=ViewSessionFactory.build().pk, user_id=view.user_id, cache_key=view.cache_key) is None
    )


@pytest.mark.parametrize("last_event_at", [WITH_MICROSECONDS, WHOLE_SECOND])
def test_the_write_lands_only_on_the_state_it_read(last_event_at):
    view = view_of(last_event_at=last_event_at, position_seconds=1.0)
    later = last_event_at + timedelta(seconds=5, microseconds=7)
    stale = last_event_at - timedelta(microseconds=1)
    assert not view_progress_write(
        view_id=view.pk, read_at=stale, watched=9.0, position=9.0, furthest=9.0, event_at=later
    )
    assert orm_state(view)["position_seconds"] == 1.0
    assert view_progress_write(
        view_id=view.pk, read_at=last_event_at, watched=4.5, position=6.0, furthest=8.0, event_at=later
    )
    state = orm_state(view)
    assert (state["watched_seconds"], state["position_seconds"], state["furthest_position_seconds"]) == (4.5, 6.0, 8.0)
    assert state["last_event_at"] == later
    # The next event reads what this one wrote, and its write lands on it.
    again = view_state_read(view_id=view.pk, user_id=view.user_id, cache_key=view.cache_key)
    assert view_progress_write(
        view_id=view.pk, read_at=again["last_event_at"], watched=5.0, position=7.0, furthest=8.0, event_at=later
    )
