"""GET /metrics: who may read it, and what a request leaves in the latency histogram."""

import pytest
from rest_framework.test import APIClient

from devstack.api_clients import client_with
from vividly.accounts.tests.factories import StaffFactory, StudentFactory, TeacherFactory, service_token, user_token
from vividly.observability.metrics import UNMATCHED_ROUTE
from vividly.observability.tests.support import parsed, value

pytestmark = pytest.mark.django_db


def test_anonymous_callers_get_a_json_401():
    response = APIClient().get("/metrics")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_an_invalid_service_token_gets_a_json_401():
    response = client_with("Bearer not-a-token").get("/metrics")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize("factory", [StudentFactory, TeacherFactory])
def test_students_and_teachers_get_a_json_403(factory):
    response = client_with(f"Token {user_token(factory())}").get("/metrics")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("scopes", [["cache:read"], ["notify:send"], None])
def test_a_service_token_with_any_scope_reads_the_metrics(scopes):
    _, key = service_token(**({"scopes": scopes} if scopes else {}))
    response = client_with(f"Bearer {key}").get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "vividly_http_request_duration_seconds" in response.content.decode()


def test_staff_read_the_metrics():
    response = client_with(f"Token {user_token(StaffFactory())}").get("/metrics")
    assert response.status_code == 200


def reader() -> APIClient:
    _, key = service_token(scopes=["cache:read"])
    return client_with(f"Bearer {key}")


def histogram_count(samples, **labels) -> float:
    return value(samples, "vividly_http_request_duration_seconds_count", **labels) or 0.0


def test_a_request_is_counted_under_its_url_pattern_and_status():
    metrics = reader()
    before = parsed(metrics.get("/metrics").content.decode())
    APIClient().get("/healthz")
    APIClient().get("/healthz")
    after = parsed(metrics.get("/metrics").content.decode())
    labels = {"method": "GET", "route": "healthz", "status": "200"}
    assert histogram_count(after, **labels) == histogram_count(before, **labels) + 2
    bucket = value(after, "vividly_http_request_duration_seconds_bucket", le="+Inf", **labels)
    assert bucket == histogram_count(after, **labels)


def test_the_route_label_is_the_pattern_never_the_raw_path():
    metrics = reader()
    student = client_with(f"Token {user_token(StudentFactory())}")
    key = "ab" * 32
    assert student.get(f"/api/v1/content/{key}/url").status_code in (400, 404)
    text = metrics.get("/metrics").content.decode()
    assert key not in text
    assert 'route="api/v1/content/<str:cache_key>/url"' in text


def test_a_path_that_matches_no_pattern_shares_one_label():
    metrics = reader()
    before = parsed(metrics.get("/metrics").content.decode())
    APIClient().get("/api/v1/no-such-thing/123")
    APIClient().get("/api/v1/another/456")
    after = parsed(metrics.get("/metrics").content.decode())
    labels = {"method": "GET", "route": UNMATCHED_ROUTE, "status": "404"}
    assert histogram_count(after, **labels) == histogram_count(before, **labels) + 2
    assert "no-such-thing" not in metrics.get("/metrics").content.decode()
