"""The benchmark's own tools: what it says it ran, and the in-process profiler's requests."""

import json

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from benchmarks import run
from benchmarks.profile import call
from benchmarks.run import gunicorn_description
from benchmarks.scenarios import Scenario


def test_the_bench_reports_the_worker_class_production_runs_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    assert gunicorn_description([]) == "gthread x 64 threads"
    assert gunicorn_description(["--worker-class", "sync"]) == "sync"
    assert gunicorn_description(["--threads", "8"]) == "gthread x 8 threads"
    monkeypatch.setenv("GUNICORN_THREADS", "16")
    assert gunicorn_description([]) == "gthread x 16 threads"


@pytest.fixture
def request_cleanup():
    signals = []
    yield signals
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.mark.django_db
def test_the_profiler_sends_its_fixed_request_through_the_whole_stack(settings, school, request_cleanup):
    """A profile request with its own path, body and headers reaches the view as gunicorn would pass it."""
    from vividly.accounts.tests.factories import user_token

    settings.ROOT_URLCONF = "benchmarks.urls"
    application = get_wsgi_application()
    # As Django's test client does: the test's transaction must outlive each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
        request_cleanup.append(signal)
    token = user_token(school["student_a"])
    noop = Scenario("noop", "/api/bench/noop", headers={"Authorization": f"Token {token}"})
    assert call(application, noop) == 200
    assert call(application, Scenario("noop", "/api/bench/noop", headers={"Authorization": "Token nope"})) == 401
    posted = Scenario(
        "post",
        "/bench/floor/hot-hit",
        "POST",
        body="{}",
        profile={"body": json.dumps({"topic_id": "t", "interest": "i", "style": "s"})},
    )
    assert call(application, posted) == 200


def test_a_scenario_is_measured_in_rounds_alternating_with_its_references(monkeypatch):
    """Floor, baseline, scenario, floor, ...: each ratio compares runs of the same moments."""
    order = []
    speeds = {"floor": 1000.0, "baseline": 2000.0, "scenario": 500.0}

    def fake_wrk(url, scenario, duration, connections):
        order.append(scenario.name)
        rps = speeds[scenario.name] * (1 + len(order) / 100)  # the machine slows down
        latency = 1000 / rps
        return {
            "rps": rps,
            "requests": round(rps * duration),
            "p50_ms": latency,
            "p95_ms": 2 * latency,
            "p99_ms": 3 * latency,
            "non2xx": 0,
            "socket_errors": 1,
            "connect": 0,
            "read": 1,
            "write": 0,
            "timeout": 0,
        }

    monkeypatch.setattr(run, "run_wrk", fake_wrk)
    names = [Scenario(name) for name in ("scenario", "floor", "baseline")]
    result, references = run.run_alternating("http://x", names[0], names[1:], 8.0, 16)

    assert order == ["floor", "baseline", "scenario"] * run.PAIRED_ROUNDS
    assert set(references) == {"floor", "baseline"}
    assert 500 < result["rps"] < 600
    assert 2000 < references["baseline"]["rps"] < 2300
    assert result["requests"] == sum(round(500 * (1 + i / 100) * 2) for i in (3, 6, 9, 12))
    assert (result["socket_errors"], result["read"], result["timeout"]) == (4, 4, 0)


def test_the_table_reads_each_ratio_against_the_baseline_measured_beside_it(capsys):
    first = {
        "name": "baseline",
        "rps": 3000.0,
        "p50_ms": 1,
        "p95_ms": 2,
        "p99_ms": 10.0,
        "non2xx": 0,
        "socket_errors": 0,
    }
    beside = {"rps": 1000.0, "p99_ms": 40.0}
    row = {
        "name": "scenario",
        "rps": 500.0,
        "p50_ms": 1,
        "p95_ms": 2,
        "p99_ms": 50.0,
        "non2xx": 2,
        "socket_errors": 16,
        "read": 12,
        "timeout": 4,
        "paired_baseline": beside,
    }
    run.print_table([first, row], first)

    assert row["ratio"] == 0.5
    assert row["baseline_p99_ms"] == 40.0
    out = capsys.readouterr().out
    assert "scenario" in out
    assert "errors in scenario: 12 read, 4 timeout, 2 answers outside 2xx/3xx" in out
    assert "errors in baseline" not in out
