"""X-Request-ID: honoured when sane, generated otherwise, in the header, error bodies, logs and jobs."""

import io
import logging
import re

import django_rq
import pytest
from rest_framework.test import APIClient

from vividly.observability.request_id import HEADER, RequestIdFilter, request_id_bound
from vividly.observability.rq import RequestIdQueue
from vividly.redis_guard import client
from vividly.rq_worker import Worker
from vividly.settings.base import LOGGING

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_an_id_is_generated_when_none_is_sent():
    first, second = APIClient().get("/healthz"), APIClient().get("/healthz")
    assert GENERATED.fullmatch(first[HEADER]) and GENERATED.fullmatch(second[HEADER])
    assert first[HEADER] != second[HEADER]


@pytest.mark.parametrize("sent", ["abc-123", "4bf92f3577b34da6a3ce929d0e0e4736", "lb:2026.12.01_7"])
def test_a_sane_id_from_the_client_is_kept(sent):
    assert APIClient().get("/healthz", HTTP_X_REQUEST_ID=sent)[HEADER] == sent


@pytest.mark.parametrize(
    "sent", ["x" * 129, "has space", "<script>alert(1)</script>", "a\u2028b", "semi;colon", "é", ""]
)
def test_an_unsafe_or_oversized_id_is_replaced(sent):
    returned = APIClient().get("/healthz", HTTP_X_REQUEST_ID=sent)[HEADER]
    assert GENERATED.fullmatch(returned)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/nothing-here", 404),  # Django's own 404, reshaped by ApiErrorMiddleware
        ("get", "/internal/v1/probe", 401),  # DRF's exception handler
        ("put", "/api/v1/broken", 409),  # a domain error
        ("post", "/api/v1/broken", 503),  # the database is out
        ("get", "/api/v1/broken", 500),  # unhandled
    ],
)
def test_every_error_body_carries_the_request_id_beside_the_error(method, path, status):
    response = getattr(APIClient(), method)(path, HTTP_X_REQUEST_ID="trace-42", format="json")
    assert response.status_code == status
    body = response.json()
    assert body["request_id"] == "trace-42" == response[HEADER]
    assert set(body) == {"error", "request_id"}
    assert body["error"]["code"]


def test_a_generated_id_is_the_one_in_the_body():
    response = APIClient().get("/api/nothing-here")
    assert response.json()["request_id"] == response[HEADER]


@pytest.fixture
def log_lines():
    """A handler configured as settings.base.LOGGING's console: its formatter and its filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOGGING["formatters"]["plain"]["format"]))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


def test_log_lines_during_a_request_carry_its_id(log_lines):
    APIClient().post(
        "/api/v1/auth/token",
        {"username": "nobody", "password": "wrong-password"},
        format="json",
        HTTP_X_REQUEST_ID="login-7",
    )
    logging.getLogger("vividly.test").warning("outside any request")
    lines = log_lines.getvalue().splitlines()
    during = [line for line in lines if "[login-7]" in line]
    assert during, lines
    assert any("outside any request" in line and "[-]" in line for line in lines)


def test_the_production_json_format_names_the_request_id():
    assert "%(request_id)s" in LOGGING["formatters"]["json"]["fmt"]
    assert "request_id" in LOGGING["handlers"]["console"]["filters"]


def test_a_job_enqueued_during_a_request_keeps_its_id_and_the_worker_binds_it(log_lines):
    queue = django_rq.get_queue("low", commit_mode="auto", connection=client("state"))
    assert isinstance(queue, RequestIdQueue)
    with request_id_bound("req-99"):
        job = queue.enqueue("logging.warning", "sending the welcome email")
    untraced = queue.enqueue("logging.warning", "a job nobody asked for")
    assert job.meta["request_id"] == "req-99"
    assert "request_id" not in untraced.meta

    Worker([queue], connection=client("state")).work(burst=True)
    lines = log_lines.getvalue().splitlines()
    assert any("[req-99]" in line and "sending the welcome email" in line for line in lines), lines
    assert any("[-]" in line and "a job nobody asked for" in line for line in lines), lines
