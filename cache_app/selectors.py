"""Reads of the content cache that change nothing: which entries a request designates, and stats."""

from typing import Any

from cache_app import stats
from cache_app.keys import cache_key_for
from cache_app.models import CacheEntry
from cache_app.tiers import HotTierUnavailable, cold_tier, hot_tier
from vividly.redis_guard import RedisUnavailable


def invalidation_targets(
    *,
    cache_key: str | None = None,
    topic_id: str | None = None,
    interest: str | None = None,
    style: str | None = None,
    everything: bool = False,
) -> list[str]:
    """Return the stored keys designated by one key, a triple, a whole topic, or everything.

    The caller chose one of those (the invalidate serializer and the command's exclusive
    options are where that rule lives); with `cache_key` the others are ignored.
    """
    if everything:
        indexed = set(CacheEntry.objects.values_list("cache_key", flat=True))
        return sorted(indexed | set(cold_tier.keys()))
    if cache_key is None and interest is None and style is None:
        return sorted(CacheEntry.objects.filter(topic_id=topic_id).values_list("cache_key", flat=True))
    if cache_key is None:
        cache_key = cache_key_for(topic_id=topic_id, interest=interest, style=style)
    if CacheEntry.objects.filter(pk=cache_key).exists() or cold_tier.exists(cache_key) or hot_holds(cache_key):
        return [cache_key]
    return []


def cache_entry_title(*, cache_key: str) -> str | None:
    """Return the title of the stored entry `cache_key`, or None when none is stored (one indexed read).

    The index row is written in the store's transaction and the `content_stored` signal is
    sent after it commits: a caller that saved a pending request and then finds no row here
    knows the signal of any store still to come will find its request.
    """
    return CacheEntry.objects.filter(pk=cache_key).values_list("title", flat=True).first()


def cache_entry_titles(*, cache_keys: list[str]) -> dict[str, str]:
    """Return the title of each stored entry among `cache_keys`, by key (one query; absent keys left out)."""
    return dict(CacheEntry.objects.filter(pk__in=set(cache_keys)).values_list("cache_key", "title"))


TITLE_SEARCH_LIMIT = 500


def cache_keys_titled(*, text: str) -> list[str]:
    """Return the keys of the stored entries whose title contains `text` (case-insensitive; at most 500)."""
    if not text.strip():
        return []
    titled = CacheEntry.objects.filter(title__icontains=text.strip()).values_list("cache_key", flat=True)
    return list(titled[:TITLE_SEARCH_LIMIT])


def hot_holds(cache_key: str) -> bool:
    try:
        return hot_tier.get(cache_key) is not None
    except RedisUnavailable as exc:
        raise HotTierUnavailable() from exc


def cache_stats() -> dict[str, Any]:
    """Return the shared statistics (counters, hit rate, latency percentiles)."""
    return stats.snapshot()
