"""Statistics are shared by every process: a stats read counts every lookup that finished before it."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.core.cache import caches

from cache_app import selectors, services
from cache_app.keys import cache_key_for
from devstack.redis_server import RedisServer
from devstack.stack import Stack
from devstack.workers import database_url
from vividly.accounts.tests.factories import service_token

BASE_DIR = Path(__file__).resolve().parents[2]
LOOKUPS = """
import django
django.setup()
from cache_app.keys import cache_key_for
from cache_app.services import cache_entry_fetch
for n in range(3):
    cache_entry_fetch(cache_key=cache_key_for(topic_id="shared-topic", interest="music", style="visual"))  # a hot hit
    cache_entry_fetch(cache_key=cache_key_for(topic_id=f"missing-{n}", interest="music", style="visual"))  # a miss
"""


@pytest.mark.django_db
def test_counters_add_up_across_processes():
    lookup = services.cache_entry_fetch(
        cache_key=cache_key_for(topic_id="shared-topic", interest="music", style="visual")
    )
    caches["hot"].set(lookup.cache_key, {"cache_key": lookup.cache_key, "metadata": {"title": "t"}})
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vividly.settings.test"}
    processes = [subprocess.Popen([sys.executable, "-c", LOOKUPS], cwd=BASE_DIR, env=env) for _ in range(2)]
    assert [process.wait(timeout=60) for process in processes] == [0, 0]
    stats = selectors.cache_stats()
    assert stats["hot_hits"] == 6
    assert stats["misses"] == 7  # six from the other processes, one from this one
    assert stats["hit_rate"] == pytest.approx(6 / 13)


def call(url: str, key: str, body: dict | None = None) -> dict | None:
    request = urllib.request.Request(  # noqa: S310 - our loopback server
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer = response.read()
    return json.loads(answer) if answer else None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_read_counts_every_lookup_before_it_across_gunicorn_workers(tmp_path):
    """The bug: each worker flushed its counts every 0.5 s, so a read right after a lookup
    served by the other worker missed it (14 of 30 reads on PostgreSQL)."""
    _, key = service_token()
    # A Redis of the stack's own: its only listeners are the two workers.
    redis_server = RedisServer().start()
    stack = Stack(
        data_dir=tmp_path / "stack",
        env={
            "DATABASE_URL": database_url(),
            "REDIS_URL": f"{redis_server.url}/0",
            "RQ_REDIS_URL": f"{redis_server.url}/1",
        },
    )
    try:
        stack.start_web(workers=2)
        call(f"{stack.url}/internal/v1/cache/stats/reset", key, {})
        short = []
        for lookups in range(1, 101):
            triple = {"topic_id": f"topic-{lookups}", "interest": "music", "style": "visual"}
            assert call(f"{stack.url}/internal/v1/cache/check", key, triple)["cache_hit"] is False
            stats_read = call(f"{stack.url}/internal/v1/cache/stats", key)
            if stats_read["misses"] != lookups:
                short.append((lookups, stats_read["misses"], stats_read["processes"]))
    finally:
        stack.stop()
        redis_server.stop()
    assert short == []
    # Both workers served lookups (each listens once it has counted one), and both answered.
    assert stats_read["processes"] == {"asked": 2, "answered": 2}
