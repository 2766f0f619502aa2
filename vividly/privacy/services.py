"""Writes of privacy: a user's export (logged), their erasure, and the retention purge."""

import logging
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from vividly.privacy import registry, retention
from vividly.privacy.access_log import access_log_flush, access_log_record, access_log_record_erasure
from vividly.privacy.models import DailyViewTotal, PurgeRun
from vividly.privacy.rows import model_row
from vividly.privacy.selectors import user_get
from vividly.process_state import revocation_announce

logger = logging.getLogger("vividly.privacy")

EXPORT_FORMAT = "vividly-export"
EXPORT_VERSION = 1
# The sections of the documented layout (PRIVACY.md). One that no app registers yet is an
# empty list, so a consumer of version 1 always finds every key.
EXPORT_SECTIONS = (
    "enrolments",
    "classrooms",
    "content_requests",
    "view_sessions",
    "notifications",
    "preferences",
    "access_log",
)
# Never part of an export: a password hash is a credential, not information about the user.
PROFILE_EXCLUDED = ("password",)
PURGE_EVERY = timedelta(days=1)


def user_export(*, username: str, actor: Any) -> dict[str, Any]:
    """Return everything held about the user, in the versioned export layout; log the export."""
    user = user_get(username=username)
    # Recorded first, so the export lists itself among the reads of their data.
    access_log_record(actor=actor, subject=user, action="export")
    export: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "user": model_row(user, exclude=PROFILE_EXCLUDED),
    }
    export.update({section: [] for section in EXPORT_SECTIONS})
    for kind in registry.kinds():
        if kind.export is not None:
            export[kind.name] = kind.export(user)
    return export


def user_erase(*, username: str, actor: Any) -> dict[str, int]:
    """Erase the user and every row about them; return the count per kind.

    Each app's eraser runs first (rows found by address, Redis keys, anonymised logs), then
    deleting the user removes whatever still points at them (tokens, enrolments, …), counted
    per model. Memos of their tokens and access are dropped in every process within a second.
    """
    user = user_get(username=username)
    user_id = user.pk
    erased: dict[str, int] = {}
    with transaction.atomic():
        for kind in registry.kinds():
            if kind.erase is not None:
                erased[kind.name] = kind.erase(user)
        user_label = user._meta.label
        _, by_model = user.delete()
    erased["user"] = by_model.pop(user_label, 0)
    erased.update({label.lower(): count for label, count in by_model.items() if count})
    revocation_announce()
    access_log_record_erasure(actor=actor, user_id=user_id)
    access_log_flush()
    # The log line names no one: logs are kept outside the reach of an erasure.
    logger.info("erased a user: %s", " ".join(f"{name}={count}" for name, count in erased.items()))
    return erased


def expired_data_purge(*, now: datetime | None = None, dry_run: bool = False) -> PurgeRun:
    """Delete (or, with `dry_run`, count) what each app keeps beyond its retention window."""
    now = now or timezone.now()
    started = time.monotonic()
    retention.clock.reset()
    counts = {kind.name: kind.purge(now, dry_run) for kind in registry.kinds() if kind.purge is not None}
    run = PurgeRun.objects.create(
        started_at=now,
        finished_at=now + timedelta(seconds=time.monotonic() - started),
        dry_run=dry_run,
        counts=counts,
        longest_batch_ms=retention.clock.longest_ms,
    )
    logger.info(
        "purge_expired_data dry_run=%s %s longest_batch_ms=%d seconds=%.1f",
        dry_run,
        # By name: the line reads the same whatever order the apps registered in.
        " ".join(f"{name}={count}" for name, count in sorted(counts.items())),
        run.longest_batch_ms,
        (run.finished_at - run.started_at).total_seconds(),
    )
    return run


def expired_data_purge_if_due(*, now: datetime | None = None) -> PurgeRun | None:
    """Run the purge when no real run started in the last day (for the periodic sweeper); else None."""
    now = now or timezone.now()
    if PurgeRun.objects.filter(dry_run=False, started_at__gt=now - PURGE_EVERY).exists():
        return None
    return expired_data_purge(now=now)


def daily_view_totals_add(*, totals: Iterable[dict[str, Any]]) -> None:
    """Add `views`, `watch_seconds` and `completions` per (`cache_key`, `day`) to the stored totals.

    Runs in the caller's transaction (the batch that deletes the sessions summed), so a
    total is counted once or not at all.
    """
    adding = {(row["cache_key"], row["day"]): row for row in totals}
    if not adding:
        return
    existing = {
        (total.cache_key, total.day): total
        for total in DailyViewTotal.objects.select_for_update().filter(
            cache_key__in={key for key, _ in adding}, day__in={day for _, day in adding}
        )
    }
    summed = []
    for (cache_key, day), row in adding.items():
        before = existing.get((cache_key, day)) or DailyViewTotal(cache_key=cache_key, day=day)
        summed.append(
            DailyViewTotal(
                cache_key=cache_key,
                day=day,
                views=before.views + row["views"],
                watch_seconds=before.watch_seconds + (row["watch_seconds"] or 0),
                completions=before.completions + row["completions"],
            )
        )
    DailyViewTotal.objects.bulk_create(
        summed,
        update_conflicts=True,
        unique_fields=["cache_key", "day"],
        update_fields=["views", "watch_seconds", "completions"],
    )
