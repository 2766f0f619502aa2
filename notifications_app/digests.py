"""Daily digests: fold a recipient's held content_ready emails into one content_ready_digest email.

The worker holds a content_ready email (status `queued`, hold `digest`, `scheduled_for` the
recipient's next DIGEST_HOUR) when its recipient chose a daily digest. This run, every
DIGEST_RUN_INTERVAL_SECONDS in the periodic sweeper (or `manage.py send_digests`), makes one
digest notification per recipient whose time has come and marks the folded ones `digested`.

The digest is an ordinary notification from there on: the same queue, rate limit, retries
and sweep. Two runs never make two digests for one recipient and day: the digest's
idempotency key is `digest:<address>:<local day>`, and claiming the held rows is one
conditional UPDATE, so a row is folded once whoever runs.
"""

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications_app.categories import Category, Channel
from notifications_app.models import Digest, Hold, Notification, RecipientPreference, Status
from notifications_app.preference_selectors import opt_out_reason, preference_of_address
from notifications_app.privacy import context_redacted
from notifications_app.queueing import enqueue_deliveries
from notifications_app.registry import DIGEST_TEMPLATE
from notifications_app.schedule import local_day, next_digest_at

logger = logging.getLogger("vividly.notifications")


class NothingToFold(Exception):
    """Another run folded these rows first."""


def digest_key(address: str, day: Any) -> str:
    """Return the idempotency key of `address`'s digest of `day` (the recipient's local date)."""
    return f"digest:{address.lower()}:{day.isoformat()}"


def digest_context(folded: list[Notification]) -> dict[str, Any]:
    """Return the digest's context: every title with its link, and the one name to greet (or none)."""
    names = {row.context.get("student_name") for row in folded} - {None, ""}
    return {
        # Greet by name only when every folded email named the same person.
        "student_name": names.pop() if len(names) == 1 else "",
        "items": [
            {"content_title": row.context.get("content_title", ""), "content_url": row.context.get("content_url", "")}
            for row in folded
        ],
    }


def held_release(rows: list[Notification]) -> int:
    """Put held rows back on the queue, for the worker to send or suppress each by the rules."""
    now = timezone.now()
    ids = [row.pk for row in rows]
    released = list(Notification.objects.filter(pk__in=ids, status=Status.QUEUED, hold=Hold.DIGEST))
    Notification.objects.filter(pk__in=[row.pk for row in released]).update(
        hold=Hold.NONE, next_attempt_at=now, status_changed_at=now
    )
    transaction.on_commit(lambda: enqueue_deliveries(released))
    return len(released)


def held_postpone(rows: list[Notification], preference: RecipientPreference, now: datetime) -> None:
    """Hold rows for the next digest day: today's digest for this recipient was already made."""
    later = next_digest_at(
        hour=settings.DIGEST_HOUR, tz=preference.timezone, at=max(now, *[r.scheduled_for for r in rows])
    )
    Notification.objects.filter(pk__in=[row.pk for row in rows], status=Status.QUEUED, hold=Hold.DIGEST).update(
        scheduled_for=later, next_attempt_at=later
    )


def digest_make(
    address: str, rows: list[Notification], preference: RecipientPreference, now: datetime
) -> Notification | None:
    """Make the digest of `rows` for `address` and fold them into it; None when another run did."""
    first = min(row.scheduled_for or now for row in rows)
    key = digest_key(address, local_day(first, preference.timezone))
    try:
        with transaction.atomic():
            digest = Notification.objects.create(
                to=address,
                template=DIGEST_TEMPLATE.name,
                category=Category.CONTENT_UPDATES,
                context={},
                idempotency_key=key,
                requested_by="digest",
            )
            claimed = Notification.objects.filter(
                pk__in=[row.pk for row in rows], status=Status.QUEUED, hold=Hold.DIGEST
            ).update(status=Status.DIGESTED, digest=digest, hold=Hold.NONE, next_attempt_at=None, status_changed_at=now)
            if not claimed:
                raise NothingToFold
            folded = list(Notification.objects.filter(digest=digest).order_by("created_at"))
            digest.context = digest_context(folded)
            digest.save(update_fields=["context"])
            # Folded rows are final: nothing renders them again, their names and links can go.
            for row in folded:
                row.context = context_redacted(row.context)
            Notification.objects.bulk_update(folded, ["context"])
            transaction.on_commit(lambda: enqueue_deliveries([digest]))
    except NothingToFold:
        return None
    except IntegrityError:
        if not Notification.objects.filter(idempotency_key=key).exists():
            raise
        # This recipient's digest of that day exists (sent by `--now`, or another run): these wait a day.
        held_postpone(rows, preference, now)
        return None
    return digest


def digests_send(*, now: datetime | None = None, everything: bool = False) -> int:
    """Make every digest whose time has come (`everything`: every open one); return how many.

    A recipient who left the daily digest, or turned content updates off, since an email was
    held gets the held emails back on the queue, where the worker sends or suppresses them.
    """
    now = now or timezone.now()
    held = Notification.objects.filter(status=Status.QUEUED, hold=Hold.DIGEST).order_by("created_at")
    if not everything:
        held = held.filter(scheduled_for__lte=now)
    by_address: dict[str, list[Notification]] = defaultdict(list)
    for row in held:
        by_address[row.to.lower()].append(row)
    made = 0
    for address, rows in by_address.items():
        preference = preference_of_address(address)
        if (
            preference is None
            or preference.digest != Digest.DAILY
            or opt_out_reason(preference, Category.CONTENT_UPDATES, Channel.EMAIL)
        ):
            with transaction.atomic():
                held_release(rows)
            continue
        if digest_make(address, rows, preference, now) is not None:
            made += 1
    if made:
        logger.info("made %d digest(s)", made)
    return made
