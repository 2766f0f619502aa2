"""When a held email may go: the end of a recipient's quiet hours and their next digest time, in their time zone.

Pure functions of an instant the caller passes (its clock), so the tests cross time-zone
boundaries and DST changes without waiting. Wall-clock times are read with zoneinfo: a
time that does not exist on a spring-forward day (02:30) lands just after the gap, and one
that happens twice on a fall-back day is taken the first time.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Files of the zone database that are not zones a person lives in (the machine's own setting).
NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def known_time_zones() -> frozenset[str]:
    """Return the IANA time zone names this machine knows."""
    return frozenset(available_timezones()) - NOT_ZONES


def zone(name: str) -> ZoneInfo:
    """Return the time zone `name`, UTC for one this machine does not know (rows are validated on the way in)."""
    try:
        return ZoneInfo(name) if name in known_time_zones() else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def wall_clock(day: date, at: time, tz: str) -> datetime:
    """Return the instant (UTC) when the clocks of `tz` show `at` on `day`."""
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def quiet_hours_end(*, start: time | None, end: time | None, tz: str, at: datetime) -> datetime | None:
    """Return when the quiet hours around `at` end (UTC), or None when `at` is outside them.

    `start` is inside, `end` is not; hours may span midnight (22:00 to 07:00).
    """
    if start is None or end is None or start == end:
        return None
    local = at.astimezone(zone(tz))
    now = local.time()
    if start < end:
        inside, end_day = start <= now < end, local.date()
    elif now >= start:
        inside, end_day = True, local.date() + timedelta(days=1)
    else:
        inside, end_day = now < end, local.date()
    if not inside:
        return None
    ends = wall_clock(end_day, end, tz)
    # A gap or a fold in the clocks could put the computed end at or before `at`; never hold for nothing.
    return ends if ends > at else None


def next_digest_at(*, hour: int, tz: str, at: datetime) -> datetime:
    """Return the next time (UTC, after `at`) the clocks of `tz` show `hour`:00: when a digest goes."""
    local = at.astimezone(zone(tz))
    slot = wall_clock(local.date(), time(hour), tz)
    if slot <= at:
        slot = wall_clock(local.date() + timedelta(days=1), time(hour), tz)
    return slot


def local_day(at: datetime, tz: str) -> date:
    """Return the date the clocks of `tz` show at `at`."""
    return at.astimezone(zone(tz)).date()
