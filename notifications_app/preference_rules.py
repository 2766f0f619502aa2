"""What a preference change must satisfy: one function per rule, called by the API's serializer and the admin's form."""

import re
from datetime import time
from typing import Any

from notifications_app.categories import AVAILABLE_CHANNELS, Category, Channel, is_optional
from notifications_app.schedule import known_time_zones

CLOCK_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def category_errors(name: Any) -> list[str]:
    """Return what is wrong with a category name (empty when it is one)."""
    if name in Category.values:
        return []
    return [f"Unknown category {name!r}; known: {', '.join(Category.values)}."]


def channel_errors(name: Any) -> list[str]:
    """Return what is wrong with a channel name (empty when it is one that is sent today)."""
    if name in AVAILABLE_CHANNELS:
        return []
    if name in Channel.values:
        return [f"Channel {name!r} is not available yet; available: {', '.join(AVAILABLE_CHANNELS)}."]
    return [f"Unknown channel {name!r}; available: {', '.join(AVAILABLE_CHANNELS)}."]


def opt_out_errors(category: str, enabled: bool) -> list[str]:
    """Return why a category may not be turned off (transactional emails are always sent)."""
    if enabled or is_optional(category):
        return []
    return [f"{category!r} emails (account and security) are always sent and cannot be turned off."]


def timezone_errors(name: Any) -> list[str]:
    """Return what is wrong with a time zone name (empty when it is an IANA name this machine knows)."""
    if isinstance(name, str) and name in known_time_zones():
        return []
    return [f"Unknown time zone {name!r}; use an IANA name such as 'Europe/Paris'."]


def clock_time_errors(value: Any) -> list[str]:
    """Return what is wrong with a clock time (empty when it is `HH:MM`, 00:00 to 23:59)."""
    if isinstance(value, str) and CLOCK_TIME.fullmatch(value):
        return []
    return ["Must be a time as HH:MM, from 00:00 to 23:59."]


def clock_time(value: str) -> time:
    """Return the time a valid `HH:MM` names."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def quiet_hours_errors(start: time, end: time) -> list[str]:
    """Return why quiet hours from `start` to `end` are not a span (they start and end at the same minute)."""
    if start != end:
        return []
    return ["Quiet hours must start and end at different times."]
