"""Sending limits (`rate_limits.py`): the daily send quota of a service token, with an injected clock."""

from datetime import UTC, datetime

import pytest

from notifications_app.rate_limits import SendQuota, send_quota_take

pytestmark = pytest.mark.django_db

QUOTA = SendQuota(token_id=41, per_day=3)


def test_the_quota_is_taken_all_or_none_and_waits_for_midnight_utc():
    evening = datetime(2026, 12, 1, 23, 59, 30, tzinfo=UTC)
    assert send_quota_take(quota=QUOTA, count=2, now=evening).allowed
    refused = send_quota_take(quota=QUOTA, count=2, now=evening)
    assert not refused.allowed and refused.retry_after == 30
    # The refused request used none of it: one send is still left today.
    assert send_quota_take(quota=QUOTA, count=1, now=evening).allowed
    assert not send_quota_take(quota=QUOTA, count=1, now=evening).allowed


def test_a_new_utc_day_starts_over_whatever_the_callers_time_zone():
    late = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    assert send_quota_take(quota=QUOTA, count=3, now=late).allowed
    assert not send_quota_take(quota=QUOTA, count=1, now=late).allowed
    next_day = datetime.fromisoformat("2026-12-01T19:30:00-05:00")  # 00:30 UTC on the 2nd
    assert send_quota_take(quota=QUOTA, count=3, now=next_day).allowed


def test_each_token_has_its_own_quota():
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert send_quota_take(quota=QUOTA, count=3, now=now).allowed
    assert send_quota_take(quota=SendQuota(token_id=42, per_day=3), count=3, now=now).allowed
