"""Every non-2xx answer under /api/ and /internal/ has the contract's JSON error body."""

import json

import pytest
from django.test import override_settings

from vividly.api.throttling import LoginThrottle

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("path", ["/api/nothing-here", "/internal/v1/nothing", "/api/v1/content/x/y/z"])
def test_unknown_paths_are_json_404(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_wrong_method_is_json_405_with_allow(client):
    response = client.get("/api/v1/auth/token")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_deeply_nested_json_is_400_not_500(service_client):
    deep = "[" * 100_000 + "]" * 100_000
    response = service_client.generic("POST", "/internal/v1/probe", deep, content_type="application/json")
    assert_error(response, 400, "malformed_json")


def test_oversized_body_is_413_before_reading(service_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"blob": "x" * 2000})
    response = service_client.generic("POST", "/internal/v1/probe", body, content_type="application/json")
    assert_error(response, 413, "request_too_large")


def test_non_json_content_type_is_415(service_client):
    response = service_client.generic("POST", "/internal/v1/probe", "a=b", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_unhandled_exception_is_logged_json_500_without_internals(client, caplog):
    response = client.get("/api/v1/broken")
    error = assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.content.decode()
    assert error["details"] == {}
    logged = [record for record in caplog.records if record.exc_info]
    assert logged and "hunter2" in str(logged[0].exc_info[1])


def test_database_unavailable_is_503_with_retry_after(client):
    response = client.post("/api/v1/broken", data={}, content_type="application/json")
    assert_error(response, 503, "database_unavailable")
    assert int(response["Retry-After"]) > 0


def test_domain_error_carries_its_code_status_and_details(client):
    response = client.put("/api/v1/broken", data={}, content_type="application/json")
    error = assert_error(response, 409, "conflict")
    assert error["details"] == {"id": "42"}


def test_throttled_login_is_429_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(LoginThrottle, "rate", "2/min", raising=False)
    for _ in range(2):
        client.post("/api/v1/auth/token", {"username": "x", "password": "y"}, content_type="application/json")
    response = client.post("/api/v1/auth/token", {"username": "x", "password": "y"}, content_type="application/json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_validation_error_lists_fields(client):
    response = client.post("/api/v1/auth/token", {"username": "x"}, content_type="application/json")
    error = assert_error(response, 400, "validation_error")
    assert "password" in error["details"]


@override_settings(DEBUG=True)
def test_debug_mode_still_answers_json_404(client):
    assert_error(client.get("/internal/v1/missing"), 404, "not_found")


def test_non_api_paths_keep_django_pages(client):
    response = client.get("/not-an-api-path")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")
