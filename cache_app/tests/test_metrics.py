"""The cache's metrics are stats' own counters, read from Redis at scrape time."""

import pytest

from cache_app import services, stats
from cache_app.keys import cache_key_for
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import hot_tier
from vividly.observability.tests.support import scraped, value

pytestmark = pytest.mark.django_db


def test_hits_per_tier_and_misses_follow_the_lookups(local_cold_tier):
    stored = services.cache_entry_store(**triple(), metadata=metadata(), stored_by="service:pipeline")
    services.cache_entry_fetch(cache_key=stored.cache_key)  # hot
    services.cache_entry_fetch(cache_key=stored.cache_key)  # hot
    hot_tier.delete([stored.cache_key])
    services.cache_entry_fetch(cache_key=stored.cache_key)  # cold, warms the hot tier
    services.cache_entry_fetch(cache_key=cache_key_for(**triple()))  # miss
    stats.buffer.flush()

    samples = scraped()
    assert value(samples, "vividly_cache_hits_total", tier="hot") == 2
    assert value(samples, "vividly_cache_hits_total", tier="cold") == 1
    assert value(samples, "vividly_cache_misses_total") == 1
    assert value(samples, "vividly_cache_stores_total") == 1
    assert value(samples, "vividly_collector_up", collector="cache_stats") == 1

    services.cache_entry_fetch(cache_key=stored.cache_key)
    stats.buffer.flush()
    assert value(scraped(), "vividly_cache_hits_total", tier="hot") == 3


def test_a_stats_reset_is_a_counter_reset_not_a_double_count(local_cold_tier):
    stats.record(counts={"misses": 5})
    stats.buffer.flush()
    assert value(scraped(), "vividly_cache_misses_total") == 5
    # A scrape reads the counters; it adds nothing to them.
    assert value(scraped(), "vividly_cache_misses_total") == 5
    stats.reset()
    assert value(scraped(), "vividly_cache_misses_total") == 0
