"""Decide, just before a send, whether an email goes now, waits (quiet hours, a daily digest) or is suppressed.

The worker asks at send time, not at accept time, so a bounce, an unsubscribe or a
preference changed while the email waited in the queue is obeyed.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from notifications_app.categories import Channel, is_optional
from notifications_app.models import Digest, Hold, Notification, RecipientPreference, SuppressionReason
from notifications_app.preference_selectors import opt_out_reasons, preferences_of_addresses
from notifications_app.registry import DIGESTED_TEMPLATE
from notifications_app.schedule import next_digest_at, quiet_hours_end
from notifications_app.selectors import suppressed_addresses


@dataclass(frozen=True)
class Decision:
    """`send`; or `suppress` with a `reason`; or `hold` (`hold` says why) until `until`."""

    action: str
    reason: str = ""
    hold: str = ""
    until: datetime | None = None


SEND = Decision("send")


def delivery_decision(notification: Notification, *, now: datetime) -> Decision:
    """Return what to do with `notification` at `now` (see `delivery_decisions`)."""
    return delivery_decisions([notification], now=now)[notification.pk]


def delivery_decisions(notifications: list[Notification], *, now: datetime) -> dict[object, Decision]:
    """Return what to do with each of `notifications` at `now`, by id, reading the rules in three queries.

    Transactional email ignores preferences and unsubscribes and is never held, but a hard
    bounce stops every email: the address does not exist.
    """
    suppressed = suppressed_addresses([n.to for n in notifications])
    optional = [n for n in notifications if n.to not in suppressed and is_optional(n.category)]
    preferences = preferences_of_addresses([n.to for n in optional]) if optional else {}
    reasons: dict[str, dict[int, str]] = {}
    for category in {n.category for n in optional}:
        wanted = [p for n in optional if n.category == category and (p := preferences.get(n.to.lower()))]
        reasons[category] = opt_out_reasons(wanted, category, Channel.EMAIL) if wanted else {}
    decisions = {}
    for notification in notifications:
        if notification.to in suppressed:
            decisions[notification.pk] = Decision("suppress", reason=SuppressionReason.HARD_BOUNCE)
        elif not is_optional(notification.category):
            decisions[notification.pk] = SEND
        else:
            preference = preferences.get(notification.to.lower())
            reason = reasons[notification.category].get(preference.pk) if preference else None
            decisions[notification.pk] = optional_decision(notification, preference, reason, now=now)
    return decisions


def optional_decision(
    notification: Notification, preference: RecipientPreference | None, opt_out: str | None, *, now: datetime
) -> Decision:
    """Return what to do with a non-transactional email, given its recipient's preference and opt-out."""
    if preference is None:
        return SEND
    if opt_out:
        return Decision("suppress", reason=opt_out)
    if notification.template == DIGESTED_TEMPLATE and preference.digest == Digest.DAILY:
        until = next_digest_at(hour=settings.DIGEST_HOUR, tz=preference.timezone, at=now)
        return Decision("hold", hold=Hold.DIGEST, until=until)
    until = quiet_hours_end(start=preference.quiet_start, end=preference.quiet_end, tz=preference.timezone, at=now)
    if until is not None:
        return Decision("hold", hold=Hold.QUIET_HOURS, until=until)
    return SEND
