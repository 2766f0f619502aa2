"""Cache Redis paused, stopped or full mid-run: checks answer from the cold tier, never a 5xx."""

import time

import pytest
import redis

from cache_app.tests.factories import store_body
from devstack.redis_server import RedisServer
from vividly.redis_guard import reset_breakers
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db

CHECK, STORE, STATS = "/internal/v1/cache/check", "/internal/v1/cache/store", "/internal/v1/cache/stats"


@pytest.fixture
def private_hot_redis(settings):
    """The hot tier (and URL cache) on a Redis of the test's own, which it may pause or stop."""
    server = RedisServer().start()
    settings.CACHES = {
        **settings.CACHES,
        "hot": redis_cache(f"{server.url}/0", prefix="hot", timeout=3600),
        "default": redis_cache(f"{server.url}/0", prefix="d", timeout=300),
    }
    settings.REDIS_BREAKER_RESET_SECONDS = 0.3
    reset_breakers()
    yield server
    server.stop()


def triple(body: dict) -> dict:
    return {k: body[k] for k in ("topic_id", "interest", "style")}


def test_client_pause_mid_run(service_client, private_hot_redis):
    body = store_body()
    assert service_client.post(STORE, body, format="json").status_code == 201
    assert service_client.post(CHECK, triple(body), format="json").json()["tier"] == "hot"
    redis.Redis.from_url(private_hot_redis.url).execute_command("CLIENT", "PAUSE", "3000", "ALL")
    answers = [service_client.post(CHECK, triple(body), format="json") for _ in range(20)]
    assert [a.status_code for a in answers] == [200] * 20
    assert {(a.json()["cache_hit"], a.json()["tier"]) for a in answers} == {(True, "cold")}
    stats = service_client.get(STATS).json()
    assert stats["hot_errors"] == 20 and stats["cold_hits"] == 20


def test_redis_stopped_then_back(service_client, private_hot_redis):
    body = store_body()
    service_client.post(STORE, body, format="json")
    private_hot_redis.stop()
    during = [service_client.post(CHECK, triple(body), format="json") for _ in range(5)]
    assert {(a.status_code, a.json()["tier"]) for a in during} == {(200, "cold")}
    miss = service_client.post(CHECK, {"topic_id": "x", "interest": "y", "style": "z"}, format="json")
    assert miss.status_code == 200 and miss.json()["cache_hit"] is False
    stored = service_client.post(STORE, store_body(), format="json")
    assert stored.status_code == 201  # the record is the cold tier; the hot tier is optional
    private_hot_redis.start()
    time.sleep(0.4)  # let the breaker half-open
    tiers = [service_client.post(CHECK, triple(body), format="json").json()["tier"] for _ in range(3)]
    assert tiers == ["cold", "hot", "hot"]  # warmed again once Redis is back


def test_a_full_hot_redis_is_an_outage_not_a_500(service_client, private_hot_redis):
    """The attack: fill the Redis until it refuses writes ("OOM command not allowed"); every
    store and every check that needed the fill lock answered 500."""
    admin = redis.Redis.from_url(private_hot_redis.url)
    admin.config_set("maxmemory-policy", "noeviction")
    body = store_body()
    assert service_client.post(STORE, body, format="json").status_code == 201
    admin.flushall()  # as if evicted: the next check reads the cold tier and must warm it
    admin.config_set("maxmemory", 1)
    stored = service_client.post(STORE, store_body(), format="json")
    assert stored.status_code == 201  # the record is the cold tier; the hot tier is optional
    answer = service_client.post(CHECK, triple(body), format="json")
    assert answer.status_code == 200
    assert (answer.json()["cache_hit"], answer.json()["tier"]) == (True, "cold")
    assert service_client.get(STATS).json()["hot_errors"] >= 1  # counted as a hot tier failure
