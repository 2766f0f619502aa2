"""Cache statistics shared by every process: counters, recent latencies, popularity (in Redis)."""

import atexit
import logging
import os
import threading
import time
from collections import Counter
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
FLUSH_SECONDS = 0.5


class StatsUnavailable(DependencyUnavailable):
    code = "stats_unavailable"
    default_message = "Cache statistics live in Redis, which is unreachable; try again shortly."


class Buffer:
    """Counts gathered in this process, sent to Redis in one pipeline every FLUSH_SECONDS.

    Recording in memory keeps the counters off the hot path (a Redis round trip costs
    more than the rest of a hot hit); a daemon thread flushes, and so do process exit
    and every stats read. Other processes' counts are at most FLUSH_SECONDS behind.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Held for a whole flush, so that whoever flushes knows nothing is still in flight.
        self.flush_lock = threading.Lock()
        self.pid = 0
        self.reset_local()

    def reset_local(self) -> None:
        self.counts: Counter[str] = Counter()
        self.latencies: dict[str, list[float]] = {tier: [] for tier in TIERS}
        self.popularity: Counter[str] = Counter()

    def add(self, counts: dict[str, int], latencies_ms: dict[str, float], requested_key: str | None) -> None:
        with self.lock:
            self.ensure_flusher()
            self.counts.update(counts)
            for tier, value in latencies_ms.items():
                samples = self.latencies[tier]
                samples.append(round(value, 3))
                if len(samples) > LATENCY_WINDOW:
                    del samples[: len(samples) - LATENCY_WINDOW]
            if requested_key:
                self.popularity[requested_key] += 1

    def ensure_flusher(self) -> None:
        # After a fork the child has the buffer but not the thread (nor the parent's counts).
        if self.pid != os.getpid():
            if self.pid:
                self.reset_local()
            self.pid = os.getpid()
            threading.Thread(target=self.flush_forever, name="cache-stats-flush", daemon=True).start()

    def flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def flush(self) -> bool:
        """Send what this process gathered; on a Redis outage keep it for the next try."""
        with self.flush_lock:
            return self.flush_locked()

    def discard(self) -> None:
        """Drop what this process gathered and not yet sent (tests start from zero)."""
        with self.flush_lock, self.lock:
            self.reset_local()

    def flush_locked(self) -> bool:
        with self.lock:
            counts, latencies, popularity = self.counts, self.latencies, self.popularity
            self.reset_local()
        if not counts and not popularity and not any(latencies.values()):
            return True
        pipe = client(ALIAS).pipeline(transaction=False)
        for name, amount in counts.items():
            pipe.hincrby(COUNTERS_KEY, name, amount)
        for tier, values in latencies.items():
            if values:
                key = LATENCY_KEY.format(tier=tier)
                pipe.lpush(key, *values)
                pipe.ltrim(key, 0, LATENCY_WINDOW - 1)
        for cache_key, amount in popularity.items():
            pipe.zincrby(POPULARITY_KEY, amount, cache_key)
        try:
            guarded(ALIAS, pipe.execute)
        except RedisUnavailable as exc:
            logger.warning("cache statistics kept in memory, redis unavailable: %s", exc)
            with self.lock:
                self.counts.update(counts)
                self.popularity.update(popularity)
                for tier, values in latencies.items():
                    self.latencies[tier] = (values + self.latencies[tier])[-LATENCY_WINDOW:]
            return False
        except Exception:
            logger.exception("cache statistics flush failed")
            return False
        return True


buffer = Buffer()
atexit.register(buffer.flush)


def record(
    *, counts: dict[str, int], latencies_ms: dict[str, float] | None = None, requested_key: str | None = None
) -> None:
    """Count an outcome (and its latencies); it reaches Redis with the next flush."""
    buffer.add(counts, latencies_ms or {}, requested_key)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def snapshot() -> dict[str, Any]:
    """Return the counters, hit rate and per-tier latency percentiles."""
    buffer.flush()
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
    buffer.flush()
    pipe = client(ALIAS).pipeline(transaction=True)
    pipe.delete(COUNTERS_KEY, *(LATENCY_KEY.format(tier=tier) for tier in TIERS))
    pipe.hset(COUNTERS_KEY, "since", timezone.now().isoformat())
    try:
        guarded(ALIAS, pipe.execute)
    except RedisUnavailable as exc:
        raise StatsUnavailable() from exc


def most_requested(limit: int) -> list[str]:
    """Return up to `limit` cache keys, most looked-up first; [] when Redis is out."""
    buffer.flush()
    try:
        raw = guarded(ALIAS, client(ALIAS).zrevrange, POPULARITY_KEY, 0, limit - 1)
    except RedisUnavailable:
        return []
    return [key.decode() for key in raw]


def forget(cache_keys: list[str]) -> None:
    """Drop keys from the popularity ranking (they were invalidated)."""
    buffer.flush()
    if cache_keys:
        try:
            guarded(ALIAS, client(ALIAS).zrem, POPULARITY_KEY, *cache_keys)
        except RedisUnavailable:
            pass


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
