"""Liveness and readiness: each dependency named when it fails, but only to internal callers."""

import threading

import pytest

from devstack.api_clients import client_with
from devstack.redis_server import free_port
from vividly import health
from vividly.accounts.tests.factories import StaffFactory, StudentFactory
from vividly.settings.base import redis_cache
from vividly.tests.support import private_state_redis

pytestmark = pytest.mark.django_db

CHECK_NAMES = {"database", "cache_redis", "queue_redis", "cold_storage", "content_storage"}


@pytest.fixture
def staff_client(as_user):
    return as_user(StaffFactory())


def dead_cache_redis(settings) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=10)}


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_all_ok(service_client):
    response = service_client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == CHECK_NAMES


def test_readyz_names_a_dead_cache_redis(service_client, settings):
    dead_cache_redis(settings)
    response = service_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache_redis"]
    assert "Error" in response.json()["checks"]["cache_redis"]["error"]
    assert response["Retry-After"]


def test_staff_tokens_see_the_checks_too(staff_client, settings):
    dead_cache_redis(settings)
    body = staff_client.get("/readyz").json()
    assert body["failing"] == ["cache_redis"]
    assert set(body["checks"]) == CHECK_NAMES


@pytest.mark.parametrize("caller", ["anonymous", "student", "bad token", "bad bearer"])
def test_readyz_tells_anyone_else_only_its_status(client, as_user, settings, caller):
    """The error text names hosts, ports and paths: not for the public internet."""
    api = {
        "anonymous": lambda: client,
        "student": lambda: as_user(StudentFactory()),
        "bad token": lambda: client_with("Token nope"),
        "bad bearer": lambda: client_with("Bearer vsk_nope"),
    }[caller]()
    assert api.get("/readyz").json() == {"status": "ok"}
    dead_cache_redis(settings)
    response = api.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}
    assert response["Retry-After"]


def test_readyz_warns_but_stays_ready_when_the_queue_redis_would_evict(service_client, settings):
    with private_state_redis(settings, "--maxmemory", "50mb", "--maxmemory-policy", "allkeys-lru"):
        response = service_client.get("/readyz")
    assert response.status_code == 200
    assert any("allkeys-lru" in warning for warning in response.json()["warnings"])


def test_readyz_warns_when_the_queue_redis_passes_80_percent_of_maxmemory(service_client, settings):
    with private_state_redis(settings, "--maxmemory", "8mb", "--maxmemory-policy", "noeviction") as queue:
        assert service_client.get("/readyz").json()["warnings"] == []
        for n in range(60):
            queue.set(f"filler:{n}", b"x" * 100 * 1024)
        health._recent.cache_clear()  # past the 1 s the last answer is shared for
        response = service_client.get("/readyz")
    assert response.status_code == 200
    assert any("of maxmemory" in warning for warning in response.json()["warnings"])


def test_one_run_of_the_checks_serves_every_call_for_a_second(service_client, monkeypatch):
    runs = []
    monkeypatch.setitem(health.CHECKS, "database", lambda: runs.append(1) or [])
    now = [1000.0]
    monkeypatch.setattr(health, "clock", lambda: now[0])
    for _ in range(20):
        assert service_client.get("/readyz").status_code == 200
    assert len(runs) == 1
    now[0] += health.READY_CACHE_SECONDS
    service_client.get("/readyz")
    assert len(runs) == 2


def test_a_hanging_check_is_never_queued_twice(monkeypatch):
    """Each run would otherwise leave one more thread (or queued task) behind a hung dependency."""
    release, started = threading.Event(), []

    def hangs() -> list[str]:
        started.append(1)
        release.wait(10)
        return []

    monkeypatch.setattr(health, "CHECKS", {"database": hangs})
    monkeypatch.setattr(health, "CHECK_BUDGET_SECONDS", 0.05)
    try:
        for _ in range(5):
            result = health.run_checks()
            assert result.failing == ["database"]
            assert "no answer within" in result.checks["database"]["error"]
        assert len(started) == 1
    finally:
        release.set()
