"""What notifications hold about a user, for the privacy registry: emails to their address, its suppression,
limits, and their preferences (with the unsubscribes, complaints and lifts recorded for the address).

A suppressed address is not forgotten on erasure: it is replaced by its keyed hash
(`suppressed_forms`), so the bounce list keeps refusing the address if it comes back,
without the database holding it.

The minimisation rules (which provider-event fields are kept, which context values are
redacted once an email is final) live here too, with the data migration that applies them
to rows stored before the rules.
"""

from datetime import datetime
from typing import Any

from django.db.models import Q

from notifications_app.models import (
    Notification,
    ProviderEvent,
    RecipientPreference,
    Status,
    Suppression,
    SuppressionLift,
)
from notifications_app.rate_limits import KEY_PREFIX
from vividly.privacy import registry
from vividly.privacy.digests import keyed_digest
from vividly.privacy.redis_keys import glob_escape, redis_keys_delete
from vividly.privacy.retention import cutoff, purge_in_batches
from vividly.privacy.rows import model_row, model_rows

HASHED_PREFIX = "hmac-sha256:"
# limits' key for the per-recipient cap: LIMITER/email/recipient/<template>/<address>/<amount>/<multiples>/<unit>.
RECIPIENT_LIMIT_KEYS = KEY_PREFIX + ":LIMITER/email/recipient/*/{address}/*"


# What a SendGrid event may keep: what happened, to which message, and why. Never the
# recipient's IP address (`ip`), browser (`useragent`) or the link they clicked (`url`).
PROVIDER_EVENT_FIELDS = frozenset(
    {
        "event",
        "timestamp",
        "sg_event_id",
        "sg_message_id",
        "smtp-id",
        "anymail_id",
        "notification_id",
        "category",
        "type",
        "bounce_classification",
        "reason",
        "status",
        "response",
        "attempt",
        "tls",
    }
)
# Once an email is here, nothing will render it again: its names and links can go.
REDACTED_STATUSES = (Status.DELIVERED, Status.BOUNCED, Status.REJECTED, Status.SUPPRESSED, Status.DIGESTED)
MIGRATION_BATCH = 1000


def provider_event_payload_minimised(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the fields of a provider event that may be stored."""
    return {name: value for name, value in payload.items() if name in PROVIDER_EVENT_FIELDS}


def is_personal_context_key(key: str) -> bool:
    """Return whether an email context value names a person or is a personal link (`name`, `*_name`, `*_url`)."""
    return key == "name" or key.endswith(("_name", "_url"))


def context_redacted(context: dict[str, Any]) -> dict[str, Any]:
    """Return an email's context without names and links (inside a digest's list of items too)."""
    return {
        key: [context_redacted(item) if isinstance(item, dict) else item for item in value]
        if isinstance(value, list)
        else value
        for key, value in context.items()
        if not is_personal_context_key(key)
    }


def existing_rows_minimise(apps: Any, schema_editor: Any) -> None:
    """A RunPython data migration: drop what the rules do not keep from rows stored before them."""
    historical_event = apps.get_model("notifications_app", "ProviderEvent")
    historical_notification = apps.get_model("notifications_app", "Notification")
    for model, field, minimised, rows in (
        (historical_event, "payload", provider_event_payload_minimised, historical_event.objects.all()),
        (
            historical_notification,
            "context",
            context_redacted,
            historical_notification.objects.filter(status__in=REDACTED_STATUSES),
        ),
    ):
        changed = []
        for row in rows.only("pk", field).iterator(chunk_size=MIGRATION_BATCH):
            kept = minimised(getattr(row, field))
            if kept != getattr(row, field):
                setattr(row, field, kept)
                changed.append(row)
            if len(changed) >= MIGRATION_BATCH:
                model.objects.bulk_update(changed, [field])
                changed = []
        model.objects.bulk_update(changed, [field])


def hashed_address(address: str) -> str:
    """Return the form a suppressed address keeps after its owner is erased."""
    return HASHED_PREFIX + keyed_digest(address.lower(), purpose="suppression")


def suppressed_forms(address: str) -> list[str]:
    """Return the `Suppression.address` values that suppress `address`: itself, or its keyed hash."""
    return [address.lower(), hashed_address(address)]


def to_address(user: Any) -> Any:
    return Notification.objects.filter(to__iexact=user.email) if user.email else Notification.objects.none()


def notifications_export(user: Any) -> list[dict[str, Any]]:
    """Every email to their address, each with its provider events and delivery attempts."""
    rows = []
    for notification in to_address(user).prefetch_related("events", "delivery_attempts").order_by("created_at"):
        row = model_row(notification)
        row["events"] = model_rows(notification.events.all())
        row["delivery_attempts"] = model_rows(notification.delivery_attempts.all())
        rows.append(row)
    return rows


def notifications_erase(user: Any) -> int:
    """Delete the emails to their address (with their events and attempts) and their per-recipient limits."""
    if not user.email:
        return 0
    _, by_model = to_address(user).delete()
    redis_keys_delete("state", RECIPIENT_LIMIT_KEYS.format(address=glob_escape(user.email.lower())))
    return by_model.get(Notification._meta.label, 0)


def suppressions_export(user: Any) -> list[dict[str, Any]]:
    if not user.email:
        return []
    return model_rows(Suppression.objects.filter(address=user.email.lower()))


def suppressions_erase(user: Any) -> int:
    """Keep their suppression as a keyed hash of the address (and nothing of the bounce message)."""
    if not user.email:
        return 0
    plain = Suppression.objects.filter(address=user.email.lower())
    hashed = hashed_address(user.email)
    if Suppression.objects.filter(address=hashed).exists():
        deleted, _ = plain.delete()
        return deleted
    return plain.update(address=hashed, detail="", notification=None)


def preferences_of(user: Any) -> Any:
    """Their own preferences, and the row their address had before it was theirs."""
    mine = Q(user=user)
    if user.email:
        mine |= Q(address=user.email.lower())
    return RecipientPreference.objects.filter(mine)


def preferences_export(user: Any) -> list[dict[str, Any]]:
    """Their preferences, each with its category settings (why and when one was turned off) and its lifts."""
    rows = []
    for preference in preferences_of(user).prefetch_related("settings"):
        row = model_row(preference)
        row["settings"] = model_rows(preference.settings.all())
        row["lifts"] = (
            model_rows(SuppressionLift.objects.filter(address=preference.address)) if preference.address else []
        )
        rows.append(row)
    return rows


def preferences_erase(user: Any) -> int:
    """Delete their preferences (settings cascade) and the lifts recorded for their address."""
    if user.email:
        SuppressionLift.objects.filter(address=user.email.lower()).delete()
    deleted, _ = preferences_of(user).delete()
    return deleted


def notifications_purge(now: datetime, dry_run: bool) -> int:
    expired = Notification.objects.filter(created_at__lt=cutoff(now, "RETENTION_NOTIFICATION_DAYS"))
    return purge_in_batches(expired, dry_run=dry_run, order_by="created_at")


def provider_events_purge(now: datetime, dry_run: bool) -> int:
    # Ids grow with arrival, so the oldest events are the lowest ids: each batch is an index range.
    expired = ProviderEvent.objects.filter(received_at__lt=cutoff(now, "RETENTION_PROVIDER_EVENT_DAYS"))
    return purge_in_batches(expired, dry_run=dry_run, order_by="pk")


registry.register("notifications", export=notifications_export, erase=notifications_erase, purge=notifications_purge)
registry.register("suppressions", export=suppressions_export, erase=suppressions_erase)
registry.register("preferences", export=preferences_export, erase=preferences_erase)
registry.register("provider_events", purge=provider_events_purge)
