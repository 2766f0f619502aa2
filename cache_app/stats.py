"""Cache statistics shared by every process: counters, recent latencies, popularity (in Redis)."""

import logging
import time
from typing import Any

from django.utils import timezone

from vividly.errors import DependencyUnavailable
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("cache_app")

ALIAS = "state"  # never evicted: counters must survive memory pressure
COUNTERS_KEY = "vividly:cache:stats"
LATENCY_KEY = "vividly:cache:latency:{tier}"
POPULARITY_KEY = "vividly:cache:popularity"
LATENCY_WINDOW = 1000  # the most recent samples per tier
COUNTERS = ("hot_hits", "cold_hits", "misses", "stores", "invalidations", "hot_errors", "cold_errors")
TIERS = ("hot", "cold")


class StatsUnavailable(DependencyUnavailable):
    code = "stats_unavailable"
    default_message = "Cache statistics live in Redis, which is unreachable; try again shortly."


def record(
    *, counts: dict[str, int], latencies_ms: dict[str, float] | None = None, requested_key: str | None = None
) -> None:
    """Add to the counters in one pipelined round trip; skip (and log) when Redis is out."""
    pipe = client(ALIAS).pipeline(transaction=False)
    for name, amount in counts.items():
        pipe.hincrby(COUNTERS_KEY, name, amount)
    for tier, value in (latencies_ms or {}).items():
        key = LATENCY_KEY.format(tier=tier)
        pipe.lpush(key, round(value, 3))
        pipe.ltrim(key, 0, LATENCY_WINDOW - 1)
    if requested_key:
        pipe.zincrby(POPULARITY_KEY, 1, requested_key)
    try:
        guarded(ALIAS, pipe.execute)
    except RedisUnavailable as exc:
        logger.warning("cache statistics not recorded: %s (counts %s)", exc, counts)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def snapshot() -> dict[str, Any]:
    """Return the counters, hit rate and per-tier latency percentiles."""
    redis = client(ALIAS)
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(COUNTERS_KEY)
    for tier in TIERS:
        pipe.lrange(LATENCY_KEY.format(tier=tier), 0, -1)
    try:
        raw_counters, *raw_latencies = guarded(ALIAS, pipe.execute)
    except RedisUnavailable as exc:
        raise StatsUnavailable() from exc
    decoded = {key.decode(): value.decode() for key, value in raw_counters.items()}
    counters = {name: int(decoded.get(name, 0)) for name in COUNTERS}
    lookups = counters["hot_hits"] + counters["cold_hits"] + counters["misses"]
    hits = counters["hot_hits"] + counters["cold_hits"]
    latency = {}
    for tier, samples in zip(TIERS, raw_latencies, strict=True):
        values = sorted(float(sample) for sample in samples)
        latency[tier] = {
            "samples": len(values),
            "p50_ms": percentile(values, 0.50),
            "p95_ms": percentile(values, 0.95),
        }
    return {
        **counters,
        "lookups": lookups,
        "hit_rate": hits / lookups if lookups else 0.0,
        "latency": latency,
        "since": decoded.get("since"),
    }


def reset() -> None:
    """Zero every counter and latency window (popularity is kept: warming needs it)."""
    pipe = client(ALIAS).pipeline(transaction=True)
    pipe.delete(COUNTERS_KEY, *(LATENCY_KEY.format(tier=tier) for tier in TIERS))
    pipe.hset(COUNTERS_KEY, "since", timezone.now().isoformat())
    try:
        guarded(ALIAS, pipe.execute)
    except RedisUnavailable as exc:
        raise StatsUnavailable() from exc


def most_requested(limit: int) -> list[str]:
    """Return up to `limit` cache keys, most looked-up first; [] when Redis is out."""
    try:
        raw = guarded(ALIAS, client(ALIAS).zrevrange, POPULARITY_KEY, 0, limit - 1)
    except RedisUnavailable:
        return []
    return [key.decode() for key in raw]


def forget(cache_keys: list[str]) -> None:
    if cache_keys:
        try:
            guarded(ALIAS, client(ALIAS).zrem, POPULARITY_KEY, *cache_keys)
        except RedisUnavailable:
            pass


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
