"""Read recipients' preferences: whose they are, and whether a category reaches them on a channel."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.db.models.functions import Lower

from notifications_app.categories import AVAILABLE_CHANNELS, Channel
from notifications_app.models import ChannelSetting, RecipientPreference


def preference_of_address(address: str) -> RecipientPreference | None:
    """Return the preferences that hold for `address`: its user's when a user has it, else its own row."""
    rows = RecipientPreference.objects.filter(Q(address=address.lower()) | Q(user__email__iexact=address))
    # A user's row wins over an address row left from before the account (or its email change).
    return rows.order_by(F("user_id").asc(nulls_last=True)).first()


def preferences_of_addresses(addresses: list[str]) -> dict[str, RecipientPreference]:
    """Return `preference_of_address` for each of `addresses` that has one, keyed by the lower-cased
    address, in one query (the same rule: a user's row wins, the lowest user id first)."""
    lowered = {address.lower() for address in addresses}
    rows = RecipientPreference.objects.annotate(user_email=Lower("user__email")).filter(
        Q(address__in=lowered) | Q(user_email__in=lowered)
    )
    found: dict[str, list[RecipientPreference]] = {}
    for row in rows:
        for key in {row.address, row.user_email} & lowered:
            found.setdefault(key, []).append(row)
    return {
        key: min(candidates, key=lambda row: (row.user_id is None, row.user_id or 0))
        for key, candidates in found.items()
    }


def opt_out_reasons(
    preferences: list[RecipientPreference], category: str, channel: str = Channel.EMAIL
) -> dict[int, str]:
    """Return `opt_out_reason` of each preference that opts out of `category`, by preference id, in one query."""
    settings = ChannelSetting.objects.filter(
        preference__in=[p.pk for p in preferences], category=category, channel=channel, enabled=False
    )
    return {setting.preference_id: setting.reason or "preference" for setting in settings}


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
