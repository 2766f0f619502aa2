"""Scrape-time metrics of the content cache: the counters cache_app.stats keeps in Redis.

They are read as they are (no flush request to every process: a scrape every few seconds
must not wait for them; counts reach Redis every FLUSH_SECONDS anyway), so every lookup
is counted once, by stats, and exported from there.
"""

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, Metric

from cache_app.stats import ALIAS, COUNTERS_KEY, TIERS
from vividly.observability.metrics import collector_register
from vividly.redis_guard import client, guarded


class CacheStats:
    name = "cache_stats"

    def collect(self) -> Iterator[Metric]:
        raw = guarded(ALIAS, client(ALIAS).hgetall, COUNTERS_KEY)
        counters = {key.decode(): value.decode() for key, value in raw.items()}

        def count(name: str) -> float:
            return float(counters.get(name, 0))

        hits = CounterMetricFamily("vividly_cache_hits", "Content cache lookups answered, by tier.", labels=["tier"])
        errors = CounterMetricFamily(
            "vividly_cache_tier_errors", "Content cache tier failures, by tier.", labels=["tier"]
        )
        for tier in TIERS:
            hits.add_metric([tier], count(f"{tier}_hits"))
            errors.add_metric([tier], count(f"{tier}_errors"))
        yield hits
        yield errors
        yield CounterMetricFamily(
            "vividly_cache_misses", "Content cache lookups found in no tier.", value=count("misses")
        )
        yield CounterMetricFamily("vividly_cache_stores", "Content stored in the cache.", value=count("stores"))


collector_register(CacheStats())
