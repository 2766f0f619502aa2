"""The shared statistics: counts kept through a Redis outage or a full Redis, and every process asked."""

import time

import pytest
import redis

from cache_app import selectors, services, stats
from cache_app.keys import cache_key_for
from cache_app.tests.factories import triple
from devstack.redis_server import RedisServer, free_port
from vividly.redis_guard import client, reset_breakers
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db

STATS = "/internal/v1/cache/stats"


def a_miss() -> None:
    services.cache_entry_fetch(cache_key=cache_key_for(**triple()))


def test_counts_survive_a_stats_redis_outage(service_client, settings):
    """Counts gathered while the stats Redis is unreachable are sent once it answers again."""
    real = settings.CACHES["state"]
    settings.CACHES = {
        **settings.CACHES,
        "state": redis_cache(f"redis://127.0.0.1:{free_port()}/0", prefix="x", timeout=None),
    }
    service_client.post("/internal/v1/cache/check", triple(), format="json")
    assert stats.buffer.flush() is False
    assert service_client.get(STATS).status_code == 503
    settings.CACHES = {**settings.CACHES, "state": real}
    reset_breakers()
    assert service_client.get(STATS).json()["misses"] == 1


@pytest.fixture
def full_state_redis(settings):
    """The state Redis on a server of the test's own, full: it refuses every write (OOM)."""
    server = RedisServer("--maxmemory-policy", "noeviction").start()
    settings.CACHES = {**settings.CACHES, "state": redis_cache(f"{server.url}/0", prefix="s", timeout=None)}
    reset_breakers()
    admin = redis.Redis.from_url(server.url)
    admin.config_set("maxmemory", 1)
    yield admin
    server.stop()


def test_counts_survive_a_full_stats_redis(full_state_redis):
    """The attack: once the non-evictable Redis was full, every flush failed and its counts were dropped."""
    a_miss()
    with pytest.raises(redis.exceptions.OutOfMemoryError):
        full_state_redis.set("probe", 1)  # the server really refuses writes
    assert stats.buffer.flush() is False
    assert stats.buffer.flush() is False  # still kept after a second refusal
    full_state_redis.config_set("maxmemory", 0)
    reset_breakers()  # a full Redis is an outage: its breaker stays open for REDIS_BREAKER_RESET_SECONDS
    assert stats.buffer.flush() is True
    assert selectors.cache_stats()["misses"] == 1


def test_a_process_that_does_not_answer_delays_a_read_by_the_deadline_only(monkeypatch, caplog):
    monkeypatch.setattr(stats, "FLUSH_WAIT_SECONDS", 0.2)
    a_miss()
    silent = client("state").pubsub()  # subscribed, like a stopped process, but never answers
    silent.subscribe(stats.flush_channel())
    assert silent.get_message(timeout=1)["type"] == "subscribe"
    try:
        ((_, listening),) = client("state").pubsub_numsub(stats.flush_channel())
        started = time.monotonic()
        snapshot = selectors.cache_stats()
        waited = time.monotonic() - started
    finally:
        silent.close()
    assert snapshot["processes"] == {"asked": listening, "answered": listening - 1}
    assert snapshot["misses"] == 1  # this process flushes its own counts itself
    assert 0.2 <= waited < 1.0
    assert "1 of" in caplog.text and "did not flush in time" in caplog.text


def test_a_dropped_listener_connection_neither_holds_reads_up_nor_loses_counts():
    a_miss()  # this process now listens
    assert client("state").client_kill_filter(_type="pubsub") >= 1
    a_miss()
    started = time.monotonic()
    snapshot = selectors.cache_stats()
    assert time.monotonic() - started < stats.FLUSH_WAIT_SECONDS
    assert snapshot["misses"] == 2
    assert snapshot["processes"]["answered"] == snapshot["processes"]["asked"]
