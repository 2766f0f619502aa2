"""Many concurrent lookups of one cold key cause one cold read, not one per request."""

import threading
import time

import pytest
from django.core.cache import caches

from cache_app import selectors, services
from cache_app.keys import cache_key_for
from cache_app.services import cache_entry_store
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import ColdTier

pytestmark = pytest.mark.django_db(transaction=True)

CONCURRENCY = 24


@pytest.fixture
def counted_cold_reads(monkeypatch):
    """Count real cold-tier reads, each made slow enough for every request to overlap it."""
    reads = []
    real_get = ColdTier.get

    def slow_counted_get(self, cache_key):
        reads.append(cache_key)
        time.sleep(0.2)
        return real_get(self, cache_key)

    monkeypatch.setattr(ColdTier, "get", slow_counted_get)
    return reads


def run_concurrently(function, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - the test asserts on it
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_concurrent_cold_hits_read_the_cold_tier_once(counted_cold_reads, cold_tier_kind):
    fields = triple()
    stored = cache_entry_store(**fields, metadata=metadata())
    caches["hot"].clear()
    counted_cold_reads.clear()

    results = run_concurrently(lambda: services.cache_entry_fetch(cache_key=cache_key_for(**fields)), CONCURRENCY)

    assert all(not isinstance(result, Exception) for result in results), results
    assert all(result.hit and result.cache_key == stored.cache_key for result in results)
    assert len(counted_cold_reads) == 1
    assert sorted(result.tier for result in results).count("cold") == 1
    stats = selectors.cache_stats()
    assert stats["cold_hits"] == 1 and stats["hot_hits"] == CONCURRENCY - 1


def test_concurrent_misses_read_the_cold_tier_once(counted_cold_reads, local_cold_tier):
    fields = triple()
    results = run_concurrently(lambda: services.cache_entry_fetch(cache_key=cache_key_for(**fields)), CONCURRENCY)
    assert all(not isinstance(result, Exception) and not result.hit for result in results), results
    assert len(counted_cold_reads) == 1
    assert selectors.cache_stats()["misses"] == CONCURRENCY


def test_without_coordination_every_request_would_read(counted_cold_reads, local_cold_tier, settings):
    """The control: with the hot Redis unreachable there is no lock, and each request reads."""
    from devstack.redis_server import free_port
    from vividly.settings.base import redis_cache

    fields = triple()
    cache_entry_store(**fields, metadata=metadata())
    settings.CACHES = {
        **settings.CACHES,
        "hot": redis_cache(f"redis://127.0.0.1:{free_port()}/0", prefix="x", timeout=60),
    }
    counted_cold_reads.clear()
    results = run_concurrently(lambda: services.cache_entry_fetch(cache_key=cache_key_for(**fields)), 8)
    assert all(result.hit for result in results)
    assert len(counted_cold_reads) == 8
