"""Multiprocess mode (gunicorn's workers summed), and the error counters where errors are caught."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError

from devstack.redis_server import free_port
from vividly.api.exception_handler import api_exception_handler
from vividly.observability.metrics import MULTIPROC_ENV, mark_process_dead
from vividly.observability.tests.support import scraped, value
from vividly.redis_guard import RedisUnavailable, client, guarded
from vividly.settings.base import redis_cache

ROOT = Path(__file__).resolve().parents[3]

# A process of its own records requests as gunicorn's workers do, then prints its pid.
RECORD = """
import os, sys
from vividly.observability.metrics import REQUEST_DURATION, REDIS_ERRORS
for _ in range(int(sys.argv[1])):
    REQUEST_DURATION.labels("GET", "healthz", "200").observe(0.01)
REDIS_ERRORS.labels("state").inc()
print(os.getpid())
"""


def record_in_a_process(metrics_dir: Path, requests: int) -> int:
    result = subprocess.run(
        [sys.executable, "-c", RECORD, str(requests)],
        cwd=ROOT,
        env={**os.environ, MULTIPROC_ENV: str(metrics_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout)


@pytest.mark.django_db
def test_multiprocess_mode_sums_what_every_process_recorded(tmp_path, monkeypatch):
    first = record_in_a_process(tmp_path, 3)
    second = record_in_a_process(tmp_path, 2)
    assert first != second
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))

    samples = scraped()
    labels = {"method": "GET", "route": "healthz", "status": "200"}
    assert value(samples, "vividly_http_request_duration_seconds_count", **labels) == 5
    assert value(samples, "vividly_http_request_duration_seconds_bucket", le="0.01", **labels) == 5
    assert value(samples, "vividly_redis_errors_total", alias="state") == 2
    # The collectors still run in the scraping process.
    assert value(samples, "vividly_collector_up", collector="emails") == 1

    # gunicorn's child_exit hook: a dead worker's counts stay in the sums.
    mark_process_dead(first)
    assert value(scraped(), "vividly_http_request_duration_seconds_count", **labels) == 5


def test_the_gunicorn_conf_marks_dead_workers(tmp_path, monkeypatch):
    # Set, so that loading the conf file leaves this process in one-process mode afterwards.
    monkeypatch.setenv(MULTIPROC_ENV, str(tmp_path))
    namespace = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    marked = []
    monkeypatch.setattr("vividly.observability.metrics.mark_process_dead", marked.append)
    namespace["child_exit"](None, type("Worker", (), {"pid": 4242})())
    assert marked == [4242]


def test_a_redis_outage_is_counted_per_alias(settings):
    before = value(scraped(), "vividly_redis_errors_total", alias="state") or 0
    settings.CACHES = {
        **settings.CACHES,
        "state": redis_cache(f"redis://127.0.0.1:{free_port()}/0", prefix="x", timeout=None),
    }
    for _ in range(2):  # the first fails, the second is refused by the open breaker
        with pytest.raises(RedisUnavailable):
            guarded("state", client("state").ping)
    assert value(scraped(), "vividly_redis_errors_total", alias="state") == before + 2


def test_database_errors_reaching_the_handler_are_counted():
    def count() -> float:
        return value(scraped(), "vividly_database_errors_total", kind="unavailable") or 0

    before = count()
    response = api_exception_handler(OperationalError("connection refused"), {})
    assert response.status_code == 503
    assert count() == before + 1
