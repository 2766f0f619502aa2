"""Decide, just before a send, whether an email goes now, waits (quiet hours, a daily digest) or is suppressed.

The worker asks at send time, not at accept time, so a bounce, an unsubscribe or a
preference changed while the email waited in the queue is obeyed.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from notifications_app.categories import Channel, is_optional
from notifications_app.models import Digest, Hold, Notification, SuppressionReason
from notifications_app.preference_selectors import opt_out_reason, preference_of_address
from notifications_app.registry import DIGESTED_TEMPLATE
from notifications_app.schedule import next_digest_at, quiet_hours_end
from notifications_app.selectors import address_is_suppressed


@dataclass(frozen=True)
class Decision:
    """`send`; or `suppress` with a `reason`; or `hold` (`hold` says why) until `until`."""

    action: str
    reason: str = ""
    hold: str = ""
    until: datetime | None = None


SEND = Decision("send")


def delivery_decision(notification: Notification, *, now: datetime) -> Decision:
    """Return what to do with `notification` at `now`.

    Transactional email ignores preferences and unsubscribes and is never held, but a hard
    bounce stops every email: the address does not exist.
    """
    if address_is_suppressed(notification.to):
        return Decision("suppress", reason=SuppressionReason.HARD_BOUNCE)
    if not is_optional(notification.category):
        return SEND
    preference = preference_of_address(notification.to)
    if preference is None:
        return SEND
    if reason := opt_out_reason(preference, notification.category, Channel.EMAIL):
        return Decision("suppress", reason=reason)
    if notification.template == DIGESTED_TEMPLATE and preference.digest == Digest.DAILY:
        until = next_digest_at(hour=settings.DIGEST_HOUR, tz=preference.timezone, at=now)
        return Decision("hold", hold=Hold.DIGEST, until=until)
    until = quiet_hours_end(start=preference.quiet_start, end=preference.quiet_end, tz=preference.timezone, at=now)
    if until is not None:
        return Decision("hold", hold=Hold.QUIET_HOURS, until=until)
    return SEND
