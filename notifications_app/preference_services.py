"""Change recipients' preferences: a user's own edits, one-click unsubscribes, provider feedback, staff lifting them.

Turning a category off changes nothing queued: the worker reads the preferences just
before each send (`delivery_rules.py`), so an email already waiting is not sent either.
"""

import logging
from datetime import time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from notifications_app.categories import OPTIONAL_CATEGORIES, Channel, is_optional
from notifications_app.models import (
    ChannelSetting,
    Notification,
    OptOutReason,
    ProviderEvent,
    RecipientPreference,
    Suppression,
    SuppressionLift,
)
from notifications_app.preference_selectors import preference_of_address, user_of_address

logger = logging.getLogger("vividly.notifications")

# PATCH leaves a field alone unless it is given; `None` is a value (no quiet hours).
UNSET: Any = object()


def preference_of_user(user: Any) -> RecipientPreference:
    """Return the user's preferences, creating them (or adopting the row their address already had)."""
    address = user.email.lower() if user.email else None
    preference = RecipientPreference.objects.filter(user=user).first()
    if preference is None and address:
        preference = RecipientPreference.objects.filter(address=address, user__isnull=True).first()
        if preference is not None:
            preference.user = user
            preference.save(update_fields=["user"])
    if preference is None:
        try:
            with transaction.atomic():
                preference = RecipientPreference.objects.create(user=user, address=address)
        except IntegrityError:
            # A concurrent first request made it, or another user's row holds this address.
            preference = RecipientPreference.objects.filter(user=user).first()
            if preference is None:
                preference = RecipientPreference.objects.create(user=user, address=None)
    # The user changed their email: their preferences follow them, unless the new address
    # has a row of its own (which then keeps holding for it).
    if (
        address
        and preference.address != address
        and not RecipientPreference.objects.filter(address=address).exclude(pk=preference.pk).exists()
    ):
        preference.address = address
        preference.save(update_fields=["address"])
    return preference


def preference_of_recipient(address: str) -> RecipientPreference:
    """Return the preferences that hold for `address`, creating an address row (linked to its user, if any)."""
    preference = preference_of_address(address)
    if preference is not None:
        return preference
    user = user_of_address(address)
    if user is not None:
        return preference_of_user(user)
    preference, _ = RecipientPreference.objects.get_or_create(address=address.lower())
    return preference


def category_set(
    *,
    preference: RecipientPreference,
    category: str,
    enabled: bool,
    reason: str = OptOutReason.PREFERENCE,
    channel: str = Channel.EMAIL,
    event: ProviderEvent | None = None,
) -> ChannelSetting:
    """Turn `category` on or off for `preference` on `channel`, recording why and when."""
    setting, _ = ChannelSetting.objects.get_or_create(preference=preference, category=category, channel=channel)
    setting.enabled = enabled
    setting.reason = "" if enabled else reason
    setting.changed_at = timezone.now()
    setting.event = event if not enabled else None
    setting.save()
    return setting


def preferences_update(
    *,
    preference: RecipientPreference,
    categories: dict[str, dict[str, bool]] | None = None,
    digest: str | None = None,
    quiet_hours: tuple[time, time] | None = UNSET,
    time_zone: str | None = None,
) -> RecipientPreference:
    """Apply a validated (partial) change of preferences."""
    with transaction.atomic():
        for category, channels in (categories or {}).items():
            for channel, enabled in channels.items():
                if is_optional(category):
                    category_set(preference=preference, category=category, channel=channel, enabled=enabled)
        if digest is not None:
            preference.digest = digest
        if quiet_hours is not UNSET:
            preference.quiet_start, preference.quiet_end = quiet_hours or (None, None)
        if time_zone is not None:
            preference.timezone = time_zone
        preference.updated_at = timezone.now()
        preference.save()
    return preference


def recipient_unsubscribe(*, address: str, category: str, event: ProviderEvent | None = None) -> ChannelSetting | None:
    """Stop `category` for `address` (a one-click link or the provider's unsubscribe); None for transactional.

    Repeating it changes nothing but the time.
    """
    if not is_optional(category):
        logger.info("unsubscribe from transactional emails ignored: they are always sent")
        return None
    preference = preference_of_recipient(address)
    current = ChannelSetting.objects.filter(preference=preference, category=category, channel=Channel.EMAIL).first()
    if current is not None and not current.enabled and current.reason == OptOutReason.COMPLAINT:
        return current  # a complaint is the stronger reason: keep it
    return category_set(
        preference=preference, category=category, enabled=False, reason=OptOutReason.UNSUBSCRIBED, event=event
    )


def recipient_complaint(*, address: str, event: ProviderEvent | None = None) -> RecipientPreference:
    """Record a spam report: count it and turn every non-transactional category off for `address`."""
    with transaction.atomic():
        preference = preference_of_recipient(address)
        RecipientPreference.objects.filter(pk=preference.pk).update(
            complaints=F("complaints") + 1, last_complaint_at=timezone.now()
        )
        for category in OPTIONAL_CATEGORIES:
            category_set(
                preference=preference, category=category, enabled=False, reason=OptOutReason.COMPLAINT, event=event
            )
    preference.refresh_from_db()
    return preference


def provider_feedback_apply(*, event_type: str, notification: Notification, event: ProviderEvent) -> None:
    """Apply what a provider event says about the recipient's wishes (anymail's normalised types)."""
    if event_type == "unsubscribed":
        recipient_unsubscribe(address=notification.to, category=notification.category, event=event)
    elif event_type == "complained":
        recipient_complaint(address=notification.to, event=event)


def opt_out_lift(*, setting: ChannelSetting, lifted_by: str, reason: str) -> SuppressionLift | None:
    """Turn a category back on after an unsubscribe or complaint (staff's decision, recorded); None if on."""
    if setting.enabled:
        return None
    with transaction.atomic():
        lift = SuppressionLift.objects.create(
            address=setting.preference.address or "",
            lifted=setting.reason or OptOutReason.PREFERENCE,
            category=setting.category,
            lifted_by=lifted_by,
            reason=reason,
        )
        category_set(preference=setting.preference, category=setting.category, channel=setting.channel, enabled=True)
    return lift


def suppression_lift(*, suppression: Suppression, lifted_by: str, reason: str) -> SuppressionLift:
    """Send again to an address that bounced (staff's decision, recorded): the suppression goes."""
    with transaction.atomic():
        lift = SuppressionLift.objects.create(
            address=suppression.address, lifted=suppression.reason, lifted_by=lifted_by, reason=reason
        )
        suppression.delete()
    return lift
