"""Properties of watch tracking, for any sequence of progress events a client may send."""

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delivery_app import services
from delivery_app.tests.factories import requested, stored_content
from vividly.accounts.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

DURATION = 120.0
events = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=DURATION, allow_nan=False),  # position claimed
        st.floats(min_value=0, max_value=90, allow_nan=False),  # seconds since the previous event
    ),
    min_size=1,
    max_size=25,
)


@pytest.fixture
def viewing():
    return stored_content()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=events)
def test_watched_time_is_bounded_by_the_clock_and_by_forward_playback(viewing, sequence):
    # A viewer per example: each example's view stays open, and open views per viewer are bounded.
    user, key = StudentFactory(), viewing["cache_key"]
    requested(user, viewing)
    view = services.view_start(user=user, cache_key=key, quality="720p", user_agent="")
    clock, position, forward = view.last_event_at, 0.0, 0.0
    state = None
    for claimed, gap in sequence:
        clock += timedelta(seconds=gap)
        state = services.view_progress(user=user, cache_key=key, view_id=view.pk, position_seconds=claimed, now=clock)
        forward += max(0.0, claimed - position)
        position = claimed
        elapsed = (clock - view.last_event_at).total_seconds()
        assert 0 <= state.watched_seconds <= elapsed + 1e-6
        assert state.watched_seconds <= forward + 1e-6
        assert state.position_seconds == claimed
    assert state is not None
