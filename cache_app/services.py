"""Writes to the content cache: store, invalidate, warm, reset statistics."""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import caches
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cache_app import stats
from cache_app.keys import cache_key_for, is_cache_key
from cache_app.metadata import metadata_validate
from cache_app.models import CacheEntry
from cache_app.selectors import Lookup, cache_entries_get, cache_lookup_by_key, release, warm
from cache_app.signals import content_invalidated, content_stored
from cache_app.tiers import FILL_LOCK_SECONDS, cold_tier, hot_tier, miss_key
from vividly.errors import DependencyUnavailable, InvalidInput
from vividly.redis_guard import RedisUnavailable, guarded

logger = logging.getLogger("cache_app")


class HotTierUnavailable(DependencyUnavailable):
    code = "hot_tier_unavailable"
    default_message = (
        "The hot cache tier is unreachable, so the entry could not be removed from it; nothing was "
        "invalidated. Try again shortly."
    )


@dataclass(frozen=True)
class StoredEntry:
    cache_key: str
    cached_at: datetime


def cache_entry_store(*, topic_id: str, interest: str, style: str, metadata: dict[str, Any]) -> StoredEntry:
    """Store an entry: cold tier first (the record), then the hot tier; replace an existing one."""
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
            },
        )
        if not created:
            CacheEntry.objects.filter(pk=cache_key).update(
                title=metadata["title"],
                duration_seconds=metadata["duration_seconds"],
                stored_at=cached_at,
                store_count=F("store_count") + 1,
            )
        # Inside the transaction: if the cold write fails, the index is rolled back too.
        cold_tier.put(cache_key, document)
    if hot_tier.set(cache_key, document):
        try:
            guarded(hot_tier.alias, caches[hot_tier.alias].delete, miss_key(cache_key))
        except RedisUnavailable:
            pass
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


def invalidation_targets(
    *,
    cache_key: str | None = None,
    topic_id: str | None = None,
    interest: str | None = None,
    style: str | None = None,
    everything: bool = False,
) -> list[str]:
    """Return the stored keys a request designates (by key, by triple, by topic, or all)."""
    if everything:
        indexed = set(CacheEntry.objects.values_list("cache_key", flat=True))
        return sorted(indexed | set(cold_tier.keys()))
    if cache_key is not None and (topic_id, interest, style) != (None, None, None):
        raise InvalidInput(details={"cache_key": ["Give either cache_key or topic_id (+ interest, style), not both."]})
    if cache_key is not None:
        if not is_cache_key(cache_key):
            raise InvalidInput(details={"cache_key": ["Must be 64 lowercase hexadecimal characters."]})
        candidates = [cache_key]
    elif topic_id is not None and interest is None and style is None:
        if not isinstance(topic_id, str) or not topic_id:
            raise InvalidInput(details={"topic_id": ["Must be a non-empty string."]})
        return sorted(CacheEntry.objects.filter(topic_id=topic_id).values_list("cache_key", flat=True))
    elif None not in (topic_id, interest, style):
        candidates = [cache_key_for(topic_id=topic_id, interest=interest, style=style)]
    else:
        raise InvalidInput(
            "Give cache_key, or topic_id with interest and style, or topic_id alone.",
            details={"non_field_errors": ["Give cache_key, or topic_id, interest and style, or topic_id alone."]},
        )
    indexed = set(CacheEntry.objects.filter(pk__in=candidates).values_list("cache_key", flat=True))
    return [key for key in candidates if key in indexed or cold_tier.exists(key) or hot_holds(key)]


def hot_holds(cache_key: str) -> bool:
    try:
        return hot_tier.get(cache_key) is not None
    except RedisUnavailable as exc:
        raise HotTierUnavailable() from exc


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
                    acquired = guarded(hot_tier.alias, lock.acquire, blocking=True, blocking_timeout=FILL_LOCK_SECONDS)
                    hot_tier.delete([cache_key])
                except RedisUnavailable as exc:
                    raise HotTierUnavailable() from exc
                cold_tier.delete(cache_key)
                CacheEntry.objects.filter(pk=cache_key).delete()
                removed.append(cache_key)
            finally:
                if acquired:
                    release(lock)
    finally:
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
        warm(cache_key, document)
        warmed += 1
    return WarmResult(warmed=warmed, already_hot=already_hot, missing=missing)


def cache_stats_reset() -> None:
    """Zero the shared counters and latency windows."""
    stats.reset()


# The doors delivery_app uses for reads that may warm the hot tier (being moved here from
# selectors.py by the architecture issue; the names are the agreed interface).
def cache_entry_fetch(*, cache_key: str, record: bool = True) -> Lookup:
    """Return the entry for `cache_key` (hot, then cold with warming); see selectors.cache_lookup_by_key."""
    return cache_lookup_by_key(cache_key=cache_key, record=record)


def cache_entries_fetch(*, cache_keys: list[str]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Return the documents found in either tier for `cache_keys`, and the keys whose cold read failed."""
    return cache_entries_get(cache_keys=cache_keys)
