"""Quiet hours and digest times in the recipient's time zone: across time-zone boundaries and DST changes."""

from datetime import UTC, datetime, time

import pytest

from notifications_app.schedule import local_day, next_digest_at, quiet_hours_end

NIGHT = {"start": time(22, 0), "end": time(7, 0)}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "end"),
    [
        ("Europe/Paris", utc(2026, 6, 2, 5, 0)),  # 01:30 there: inside, ends at 07:00 CEST
        ("America/New_York", None),  # 19:30 there: before they start
        ("Asia/Tokyo", None),  # 08:30 the next day there: after they ended
        ("Pacific/Kiritimati", None),  # UTC+14: 13:30 on June 2
        ("Pacific/Pago_Pago", None),  # UTC-11, across the date line: 12:30 on June 1
    ],
)
def test_one_instant_is_quiet_in_one_zone_and_not_in_others(tz, end):
    assert quiet_hours_end(**NIGHT, tz=tz, at=utc(2026, 6, 1, 23, 30)) == end


def test_quiet_hours_spanning_midnight_end_the_next_local_morning():
    # 23:00 EDT on May 31 is 03:00 UTC on June 1: the hours end at 07:00 EDT on June 1.
    assert quiet_hours_end(**NIGHT, tz="America/New_York", at=utc(2026, 6, 1, 3, 0)) == utc(2026, 6, 1, 11, 0)
    # Just after midnight local, the end is the same morning.
    assert quiet_hours_end(**NIGHT, tz="America/New_York", at=utc(2026, 6, 1, 4, 30)) == utc(2026, 6, 1, 11, 0)


def test_the_start_is_quiet_and_the_end_is_not():
    assert quiet_hours_end(**NIGHT, tz="UTC", at=utc(2026, 6, 1, 22, 0)) == utc(2026, 6, 2, 7, 0)
    assert quiet_hours_end(**NIGHT, tz="UTC", at=utc(2026, 6, 2, 7, 0)) is None
    assert quiet_hours_end(**NIGHT, tz="UTC", at=utc(2026, 6, 2, 6, 59, 59)) == utc(2026, 6, 2, 7, 0)


def test_daytime_quiet_hours_do_not_wrap():
    lunch = {"start": time(12, 0), "end": time(13, 30)}
    assert quiet_hours_end(**lunch, tz="Asia/Kolkata", at=utc(2026, 6, 1, 7, 0)) == utc(2026, 6, 1, 8, 0)  # 12:30 IST
    assert quiet_hours_end(**lunch, tz="Asia/Kolkata", at=utc(2026, 6, 1, 9, 0)) is None  # 14:30 IST


def test_a_spring_forward_night_is_an_hour_shorter():
    # New York, 8 March 2026: clocks go from 02:00 EST to 03:00 EDT.
    # 22:00 EST on March 7 is 03:00 UTC; 07:00 EDT on March 8 is 11:00 UTC: eight hours, not nine.
    assert quiet_hours_end(**NIGHT, tz="America/New_York", at=utc(2026, 3, 8, 3, 0)) == utc(2026, 3, 8, 11, 0)


def test_a_fall_back_night_is_an_hour_longer():
    # New York, 1 November 2026: clocks go from 02:00 EDT back to 01:00 EST.
    # 23:00 EDT on October 31 is 03:00 UTC; 07:00 EST on November 1 is 12:00 UTC: nine hours.
    assert quiet_hours_end(**NIGHT, tz="America/New_York", at=utc(2026, 11, 1, 3, 0)) == utc(2026, 11, 1, 12, 0)
    # 01:30 happens twice that night; both are inside, and both end at 07:00 EST.
    first, second = utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)
    assert quiet_hours_end(**NIGHT, tz="America/New_York", at=first) == utc(2026, 11, 1, 12, 0)
    assert quiet_hours_end(**NIGHT, tz="America/New_York", at=second) == utc(2026, 11, 1, 12, 0)


def test_an_end_inside_the_spring_forward_gap_lands_just_after_it():
    # 02:30 does not exist on 8 March 2026 in New York: the hours end at 03:30 EDT (07:30 UTC), after `at`.
    at = utc(2026, 3, 8, 5, 0)  # 00:00 EST
    assert quiet_hours_end(start=time(23, 0), end=time(2, 30), tz="America/New_York", at=at) == utc(2026, 3, 8, 7, 30)


def test_no_quiet_hours_or_an_empty_span_hold_nothing():
    assert quiet_hours_end(start=None, end=None, tz="UTC", at=utc(2026, 6, 1, 23, 0)) is None
    assert quiet_hours_end(start=time(8, 0), end=time(8, 0), tz="UTC", at=utc(2026, 6, 1, 8, 0)) is None


def test_the_next_digest_is_at_the_local_hour_today_or_tomorrow():
    # 15:59 in Paris (CEST, UTC+2): today's 16:00; 16:00 exactly has gone: tomorrow's.
    assert next_digest_at(hour=16, tz="Europe/Paris", at=utc(2026, 6, 1, 13, 59)) == utc(2026, 6, 1, 14, 0)
    assert next_digest_at(hour=16, tz="Europe/Paris", at=utc(2026, 6, 1, 14, 0)) == utc(2026, 6, 2, 14, 0)


def test_the_next_digest_keeps_its_local_hour_across_a_dst_change():
    # 17:00 EST on March 7 (22:00 UTC): the next 16:00 is EDT, 20:00 UTC, 22 hours later.
    assert next_digest_at(hour=16, tz="America/New_York", at=utc(2026, 3, 7, 22, 0)) == utc(2026, 3, 8, 20, 0)
    # And back: 17:00 EDT on October 31 (21:00 UTC): the next 16:00 is EST, 21:00 UTC, 24 h + 1 h later.
    assert next_digest_at(hour=16, tz="America/New_York", at=utc(2026, 10, 31, 21, 0)) == utc(2026, 11, 1, 21, 0)


def test_the_digest_day_is_the_recipients_local_date():
    at = utc(2026, 6, 1, 23, 30)
    assert local_day(at, "Asia/Tokyo").isoformat() == "2026-06-02"
    assert local_day(at, "America/Los_Angeles").isoformat() == "2026-06-01"
