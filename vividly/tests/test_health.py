"""Liveness and readiness, with each dependency named when it fails."""

import pytest

from devstack.redis_server import RedisServer, free_port
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_all_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["failing"] == []
    assert set(body["checks"]) == {"database", "cache_redis", "queue_redis", "cold_storage", "content_storage"}


def test_readyz_names_a_dead_cache_redis(client, settings):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=10)}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache_redis"]
    assert response["Retry-After"]


def test_readyz_warns_but_stays_ready_when_the_queue_redis_would_evict(client, settings):
    server = RedisServer("--maxmemory", "50mb", "--maxmemory-policy", "allkeys-lru").start()
    try:
        settings.CACHES = {**settings.CACHES, "state": redis_cache(f"{server.url}/0", prefix="x", timeout=None)}
        response = client.get("/readyz")
        assert response.status_code == 200
        assert any("allkeys-lru" in warning for warning in response.json()["warnings"])
    finally:
        server.stop()
