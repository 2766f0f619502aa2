"""Writes to the content cache: fetch (which warms the hot tier), store, invalidate, warm, reset."""

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cache_app import stats
from cache_app.keys import cache_key_for
from cache_app.metadata import metadata_validate
from cache_app.models import CacheEntry
from cache_app.signals import content_invalidated, content_stored
from cache_app.tiers import (
    COLD_FAILED_SECONDS,
    FILL_LOCK_SECONDS,
    MISS_MARKER_SECONDS,
    ColdTierUnavailable,
    HotTierUnavailable,
    cold_failed_key,
    cold_tier,
    hot_tier,
    miss_key,
)
from cache_app.types import Lookup
from vividly.redis_guard import RedisUnavailable

logger = logging.getLogger("cache_app")

# Waiting for another request's cold read: first poll quickly, then back off.
WAIT_STEPS_SECONDS = (0.005, 0.01, 0.02, 0.04)


def cache_entry_fetch(*, cache_key: str, record: bool = True) -> Lookup:
    """Return the entry for `cache_key`: hot tier, else cold tier (read once for all waiters).

    A cold hit warms the hot tier. Raises ColdTierUnavailable when the hot tier misses and
    the cold tier cannot be read: a false miss would trigger a costly regeneration. A Redis
    outage is a hot miss. `record` counts the lookup in the statistics.
    """
    started = time.perf_counter()
    counts: dict[str, int] = {}
    latencies: dict[str, float] = {}
    lookup: Lookup | None = None
    try:
        document = hot_tier.get(cache_key)
        hot_up = True
        latencies["hot"] = stats.elapsed_ms(started)
    except RedisUnavailable as exc:
        logger.warning("hot tier unavailable, reading the cold tier: %s", exc)
        document, hot_up = None, False
        counts["hot_errors"] = 1

    try:
        if document is not None:
            counts["hot_hits"] = 1
            lookup = Lookup(cache_key, True, "hot", document)
        else:
            lookup = read_through(cache_key, hot_up, counts, latencies)
        return lookup
    finally:
        if record:
            # Popularity ranks what warming should load: only keys that exist, so that
            # lookups of made-up keys cannot grow it (it lives in the non-evictable Redis).
            popular = cache_key if lookup is not None and lookup.hit else None
            stats.record(counts=counts, latencies_ms=latencies, requested_key=popular)


def cache_entries_fetch(*, cache_keys: list[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Return the documents of `cache_keys` found in either tier, and the keys whose cold
    read failed; one hot round trip for all, a cold read per hot miss; not counted as lookups."""
    unique = list(dict.fromkeys(cache_keys))
    try:
        found = hot_tier.get_many(unique)
        hot_up = True
    except RedisUnavailable:
        found, hot_up = {}, False
    unavailable: set[str] = set()
    for cache_key in unique:
        if cache_key in found:
            continue
        try:
            lookup = read_through(cache_key, hot_up, {}, {})
        except ColdTierUnavailable:
            unavailable.add(cache_key)
            continue
        if lookup.document is not None:
            found[cache_key] = lookup.document
    return found, unavailable


def read_through(cache_key: str, hot_up: bool, counts: dict[str, int], latencies: dict[str, float]) -> Lookup:
    """Read the cold tier for a hot miss, so that concurrent misses of one key read it once."""
    lock = None
    if hot_up:
        lock = hot_tier.fill_lock(cache_key)
        try:
            if hot_tier.acquire(lock):
                # Another request may have filled it between our miss and our lock.
                filled = filled_lookup(cache_key)
                if filled is not None:
                    hot_tier.release(lock)
                    counts["hot_hits" if filled.hit else "misses"] = 1
                    return filled
            else:
                waited = wait_for_fill(cache_key, lock)
                if waited is not None:
                    counts["hot_hits" if waited.hit else "misses"] = 1
                    return waited
                lock = None  # the filler vanished: read alone, and do not warm
        except RedisUnavailable:
            lock = None
        except ColdTierUnavailable:
            counts["cold_errors"] = 1  # the filler could not read it either
            raise

    started = time.perf_counter()
    try:
        try:
            document = cold_tier.get(cache_key)
        finally:
            latencies["cold"] = stats.elapsed_ms(started)
        if document is None:
            counts["misses"] = 1
            if lock is not None:
                hot_tier.mark(miss_key(cache_key), MISS_MARKER_SECONDS)
            return Lookup(cache_key, False, None, None)
        counts["cold_hits"] = 1
        if lock is not None:
            hot_tier.warm(cache_key, document)
        return Lookup(cache_key, True, "cold", document)
    except ColdTierUnavailable:
        counts["cold_errors"] = 1
        if lock is not None:
            hot_tier.mark(cold_failed_key(cache_key), COLD_FAILED_SECONDS)
        raise
    finally:
        # Only now: waiters that see the lock gone must find the outcome in the hot tier.
        if lock is not None:
            hot_tier.release(lock)


def filled_lookup(cache_key: str) -> Lookup | None:
    """Return what a finished fill left in the hot tier as a lookup (document or miss), or None."""
    fill = hot_tier.fill_outcome(cache_key)
    if fill is None:
        return None
    if fill.document is None:
        return Lookup(cache_key, False, None, None)
    return Lookup(cache_key, True, "hot", fill.document)


def wait_for_fill(cache_key: str, lock: Any) -> Lookup | None:
    """Wait for the request filling `cache_key`; return its outcome, or None if it vanished."""
    deadline = time.monotonic() + FILL_LOCK_SECONDS
    step = 0
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEPS_SECONDS[min(step, len(WAIT_STEPS_SECONDS) - 1)])
        step += 1
        held = hot_tier.is_locked(lock)
        # Checked after the lock: a filler writes its outcome before it releases.
        outcome = filled_lookup(cache_key)
        if outcome is not None or not held:
            return outcome
    return None


@dataclass(frozen=True)
class StoredEntry:
    cache_key: str
    cached_at: datetime


def cache_entry_store(
    *, topic_id: str, interest: str, style: str, metadata: dict[str, Any], stored_by: str = ""
) -> StoredEntry:
    """Store an entry: cold tier first (the record), then the hot tier; replace an existing one.

    `stored_by` names the caller (a username, or `service:<name>`) on the index row.
    """
    cache_key = cache_key_for(topic_id=topic_id, interest=interest, style=style)
    metadata = metadata_validate(metadata)
    cached_at = timezone.now()
    document = {
        "cache_key": cache_key,
        "topic_id": topic_id,
        "interest": interest,
        "style": style,
        "metadata": {**metadata, "cached_at": cached_at.isoformat()},
    }
    with transaction.atomic():
        _, created = CacheEntry.objects.select_for_update().get_or_create(
            cache_key=cache_key,
            defaults={
                "topic_id": topic_id,
                "interest": interest,
                "style": style,
                "title": metadata["title"],
                "duration_seconds": metadata["duration_seconds"],
                "stored_at": cached_at,
                "stored_by": stored_by,
            },
        )
        if not created:
            CacheEntry.objects.filter(pk=cache_key).update(
                title=metadata["title"],
                duration_seconds=metadata["duration_seconds"],
                stored_at=cached_at,
                stored_by=stored_by,
                store_count=F("store_count") + 1,
            )
        # Inside the transaction: if the cold write fails, the index is rolled back too.
        cold_tier.put(cache_key, document)
    hot_tier.set(cache_key, document)
    stats.record(counts={"stores": 1})
    transaction.on_commit(
        lambda: content_stored.send(
            sender=CacheEntry,
            cache_key=cache_key,
            topic_id=topic_id,
            interest=interest,
            style=style,
            metadata=document["metadata"],
        )
    )
    return StoredEntry(cache_key=cache_key, cached_at=cached_at)


def cache_entries_invalidate(*, cache_keys: list[str]) -> list[str]:
    """Remove each entry from both tiers and the index; return the keys removed.

    Each key's fill lock is held meanwhile, so a concurrent lookup cannot warm the hot
    tier with the document being removed.
    """
    removed: list[str] = []
    try:
        for cache_key in cache_keys:
            lock, acquired = hot_tier.fill_lock(cache_key), False
            try:
                try:
                    acquired = hot_tier.acquire(lock, wait_seconds=FILL_LOCK_SECONDS)
                    hot_tier.delete([cache_key], settled=False)
                except RedisUnavailable as exc:
                    raise HotTierUnavailable() from exc
                cold_tier.delete(cache_key)
                CacheEntry.objects.filter(pk=cache_key).delete()
                removed.append(cache_key)
            finally:
                if acquired:
                    hot_tier.release(lock)
    finally:
        # Once for all keys: no process may serve a copy of one after this returns.
        hot_tier.settle()
        # Whatever was removed before a failure is counted and announced.
        if removed:
            stats.record(counts={"invalidations": len(removed)})
            stats.forget(removed)
            transaction.on_commit(lambda: content_invalidated.send(sender=CacheEntry, cache_keys=list(removed)))
    return removed


@dataclass(frozen=True)
class WarmResult:
    warmed: int
    already_hot: int
    missing: int


def cache_warm(*, limit: int) -> WarmResult:
    """Load the most requested entries (then the newest) from the cold tier into the hot tier."""
    keys = stats.most_requested(limit)
    if len(keys) < limit:
        newest = CacheEntry.objects.exclude(pk__in=keys).values_list("cache_key", flat=True)[: limit - len(keys)]
        keys += list(newest)
    warmed = already_hot = missing = 0
    for cache_key in keys:
        try:
            if hot_tier.get(cache_key) is not None:
                already_hot += 1
                continue
        except RedisUnavailable as exc:
            raise HotTierUnavailable("The hot cache tier is unreachable; nothing can be warmed.") from exc
        document = cold_tier.get(cache_key)
        if document is None:
            missing += 1
            continue
        hot_tier.warm(cache_key, document)
        warmed += 1
    return WarmResult(warmed=warmed, already_hot=already_hot, missing=missing)


def cache_stats_reset() -> None:
    """Zero the shared counters and latency windows."""
    stats.reset()
