"""Statistics are shared by every process: counters written by others add up here."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches

from cache_app import selectors

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
LOOKUPS = """
import django
django.setup()
from cache_app.selectors import cache_lookup
for n in range(3):
    cache_lookup(topic_id="shared-topic", interest="music", style="visual")  # a hot hit
    cache_lookup(topic_id=f"missing-{n}", interest="music", style="visual")  # a miss
"""


def test_counters_add_up_across_processes():
    lookup = selectors.cache_lookup(topic_id="shared-topic", interest="music", style="visual")
    caches["hot"].set(lookup.cache_key, {"cache_key": lookup.cache_key, "metadata": {"title": "t"}})
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vividly.settings.test"}
    processes = [subprocess.Popen([sys.executable, "-c", LOOKUPS], cwd=BASE_DIR, env=env) for _ in range(2)]
    assert [process.wait(timeout=60) for process in processes] == [0, 0]
    stats = selectors.cache_stats()
    assert stats["hot_hits"] == 6
    assert stats["misses"] == 7  # six from the other processes, one from this one
    assert stats["hit_rate"] == pytest.approx(6 / 13)
