"""Read recipients' preferences: whose they are, and whether a category reaches them on a channel."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q

from notifications_app.categories import AVAILABLE_CHANNELS, Channel
from notifications_app.models import ChannelSetting, RecipientPreference


def preference_of_address(address: str) -> RecipientPreference | None:
    """Return the preferences that hold for `address`: its user's when a user has it, else its own row."""
    rows = RecipientPreference.objects.filter(Q(address=address.lower()) | Q(user__email__iexact=address))
    # A user's row wins over an address row left from before the account (or its email change).
    return rows.order_by(F("user_id").asc(nulls_last=True)).first()


def opt_out_reason(preference: RecipientPreference | None, category: str, channel: str = Channel.EMAIL) -> str | None:
    """Return why `category` does not reach `preference`'s address on `channel` (None: it does)."""
    if preference is None:
        return None
    setting = ChannelSetting.objects.filter(preference=preference, category=category, channel=channel).first()
    if setting is None or setting.enabled:
        return None
    return setting.reason or "preference"


def enabled_channels(preference: RecipientPreference, category: str) -> dict[str, bool]:
    """Return `{channel: on}` for the channels sent today (a channel without a row is on)."""

    found = {
        setting.channel: setting.enabled
        for setting in preference.settings.all()
        if setting.category == category and setting.channel in AVAILABLE_CHANNELS
    }
    return {channel: found.get(channel, True) for channel in AVAILABLE_CHANNELS}


def user_of_address(address: str) -> Any:
    """Return the active user whose email is `address`, or None."""
    return get_user_model().objects.filter(email__iexact=address, is_active=True).first()
