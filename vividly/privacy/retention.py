"""Deleting expired rows in short batches: each batch its own transaction, the longest one timed.

On PostgreSQL a `DELETE` of a million rows in one statement holds its row locks and
bloats one transaction for as long as it runs; in batches of RETENTION_BATCH_SIZE each
transaction is short, and what runs beside the purge waits at most one batch.
"""

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet


class BatchClock:
    """The longest batch transaction of the current purge, in milliseconds."""

    def __init__(self) -> None:
        self.longest_ms = 0

    def reset(self) -> None:
        self.longest_ms = 0

    def record(self, started: float) -> None:
        self.longest_ms = max(self.longest_ms, round((time.monotonic() - started) * 1000))


clock = BatchClock()


def cutoff(now: datetime, days_setting: str) -> datetime:
    """Return the moment before which rows kept for `settings.<days_setting>` days have expired."""
    return now - timedelta(days=getattr(settings, days_setting))


def purge_in_batches(
    expired: QuerySet,
    *,
    dry_run: bool,
    order_by: str = "pk",
    before_delete: Callable[[QuerySet], None] | None = None,
) -> int:
    """Delete the rows of `expired` in batches (or only count them); return how many.

    `order_by` should be the indexed column `expired` is filtered on, so each batch is an
    index range, not a scan of what is left. `before_delete` runs in the batch's transaction
    with the batch's rows (to roll them up before they go).
    """
    if dry_run:
        return expired.count()
    model = expired.model
    deleted = 0
    while True:
        started = time.monotonic()
        with transaction.atomic():
            ids = list(expired.order_by(order_by).values_list("pk", flat=True)[: settings.RETENTION_BATCH_SIZE])
            if ids:
                batch = model._default_manager.filter(pk__in=ids)
                if before_delete is not None:
                    before_delete(batch)
                batch.delete()
        clock.record(started)
        if not ids:
            return deleted
        deleted += len(ids)
