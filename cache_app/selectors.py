"""Reads of the content cache: the hot path lookup (hot, then cold with warming) and stats."""

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import caches

from cache_app import stats
from cache_app.keys import cache_key_for
from cache_app.models import CacheEntry
from cache_app.tiers import FILL_LOCK_SECONDS, ColdTierUnavailable, cold_tier, hot_tier, miss_key
from vividly.redis_guard import RedisUnavailable, guarded

logger = logging.getLogger("cache_app")

# Waiting for another request's cold read: first poll quickly, then back off.
WAIT_STEPS_SECONDS = (0.005, 0.01, 0.02, 0.04)
COLD_FAILED_SECONDS = 1


@dataclass(frozen=True)
class Lookup:
    cache_key: str
    hit: bool
    tier: str | None
    document: dict[str, Any] | None

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self.document["metadata"] if self.document else None


def cache_lookup(*, topic_id: str, interest: str, style: str) -> Lookup:
    """Return what the cache holds for the triple, warming the hot tier on a cold hit."""
    return cache_lookup_by_key(cache_key=cache_key_for(topic_id=topic_id, interest=interest, style=style))


def cache_lookup_by_key(*, cache_key: str, record: bool = True) -> Lookup:
    """Return the entry for `cache_key`: hot tier, else cold tier (read once for all waiters).

    Raises ColdTierUnavailable when the hot tier misses and the cold tier cannot be read:
    a false miss would trigger a costly regeneration. A Redis outage is a hot miss.
    """
    started = time.perf_counter()
    counts: dict[str, int] = {}
    latencies: dict[str, float] = {}
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
            return Lookup(cache_key, True, "hot", document)
        return read_through(cache_key, hot_up, counts, latencies)
    finally:
        if record:
            stats.record(counts=counts, latencies_ms=latencies, requested_key=cache_key)


def read_through(cache_key: str, hot_up: bool, counts: dict[str, int], latencies: dict[str, float]) -> Lookup:
    """Read the cold tier for a hot miss, so that concurrent misses of one key read it once."""
    lock = None
    if hot_up:
        lock = hot_tier.fill_lock(cache_key)
        try:
            if guarded(hot_tier.alias, lock.acquire):
                # Another request may have filled it between our miss and our lock.
                filled = filled_outcome(cache_key)
                if filled is not None:
                    release(lock)
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
                hot_tier.mark_miss(cache_key)
            return Lookup(cache_key, False, None, None)
        counts["cold_hits"] = 1
        if lock is not None:
            # add, not set: a store that landed meanwhile holds the newer document.
            warm(cache_key, document)
        return Lookup(cache_key, True, "cold", document)
    except ColdTierUnavailable:
        counts["cold_errors"] = 1
        if lock is not None:
            mark_cold_failed(cache_key)
        raise
    finally:
        # Only now: waiters that see the lock gone must find the outcome in the hot tier.
        if lock is not None:
            release(lock)


def filled_outcome(cache_key: str) -> Lookup | None:
    """Return what a finished fill left in the hot tier (document or miss), or None."""
    found = guarded(
        hot_tier.alias, caches[hot_tier.alias].get_many, [cache_key, miss_key(cache_key), cold_failed_key(cache_key)]
    )
    if cache_key in found:
        return Lookup(cache_key, True, "hot", found[cache_key])
    if cold_failed_key(cache_key) in found:
        raise ColdTierUnavailable()
    if miss_key(cache_key) in found:
        return Lookup(cache_key, False, None, None)
    return None


def wait_for_fill(cache_key: str, lock: Any) -> Lookup | None:
    """Wait for the request filling `cache_key`; return its outcome, or None if it vanished."""
    deadline = time.monotonic() + FILL_LOCK_SECONDS
    step = 0
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEPS_SECONDS[min(step, len(WAIT_STEPS_SECONDS) - 1)])
        step += 1
        held = guarded(hot_tier.alias, lock.locked)
        # Checked after the lock: a filler writes its outcome before it releases.
        outcome = filled_outcome(cache_key)
        if outcome is not None or not held:
            return outcome
    return None


def warm(cache_key: str, document: dict[str, Any]) -> None:
    try:
        guarded(hot_tier.alias, caches[hot_tier.alias].add, cache_key, document)
    except RedisUnavailable as exc:
        logger.warning("hot tier not warmed for %s: %s", cache_key, exc)


def cold_failed_key(cache_key: str) -> str:
    return f"coldfail:{cache_key}"


def mark_cold_failed(cache_key: str) -> None:
    try:
        guarded(hot_tier.alias, caches[hot_tier.alias].set, cold_failed_key(cache_key), 1, COLD_FAILED_SECONDS)
    except RedisUnavailable:
        pass


def release(lock: Any) -> None:
    try:
        guarded(hot_tier.alias, lock.release)
    except Exception as exc:  # noqa: BLE001 - an expired or unreachable lock is released anyway
        logger.debug("fill lock release: %s", exc)


def cache_entry_get(*, cache_key: str) -> dict[str, Any] | None:
    """Return the stored document for `cache_key` (both tiers), without counting a lookup."""
    lookup = cache_lookup_by_key(cache_key=cache_key, record=False)
    return lookup.document


def cache_entries_get(*, cache_keys: list[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Return the documents of `cache_keys` found in either tier, and the keys whose cold
    read failed; one hot round trip for all, a cold read per hot miss; not counted as lookups."""
    unique = list(dict.fromkeys(cache_keys))
    try:
        found = guarded(hot_tier.alias, caches[hot_tier.alias].get_many, unique)
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


def cache_stats() -> dict[str, Any]:
    """Return the shared statistics (counters, hit rate, latency percentiles)."""
    return stats.snapshot()


def cache_entries_for_topic(*, topic_id: str) -> list[str]:
    """Return the keys the index holds for `topic_id`."""
    return list(CacheEntry.objects.filter(topic_id=topic_id).values_list("cache_key", flat=True))
