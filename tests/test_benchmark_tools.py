"""The benchmark's own tools: what it says it ran, and the in-process profiler's requests."""

import json

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

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
