"""The API guard: no-store and nosniff on every API answer, bodies capped or refused before anyone reads them."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]


class RefusesToBeRead:
    """A request body stream that fails the test if anything reads it."""

    def read(self, *args: object) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def assert_api_headers(response) -> None:
    assert response["Cache-Control"] == "no-store", response.status_code
    assert response["X-Content-Type-Options"] == "nosniff", response.status_code


def test_every_api_answer_says_no_store_and_nosniff(client, service_client, settings):
    answers = [
        service_client.get("/internal/v1/probe"),  # 200
        client.get("/api/schema/"),  # 200, outside any view of ours
        client.get("/internal/v1/probe"),  # 401
        client.get("/api/nothing-here"),  # 404 from Django's resolver
        client.get("/api/v1/auth/token"),  # 405
        client.get("/api/v1/broken"),  # 500
        client.post("/api/v1/broken"),  # 503
        service_client.post(
            "/internal/v1/probe",
            "{}",
            content_type="application/json",
            CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
            **{"wsgi.input": RefusesToBeRead()},
        ),  # 413, before any view
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 405, 500, 503, 413]
    for answer in answers:
        assert_api_headers(answer)


def test_pages_outside_the_api_keep_their_own_caching(client):
    assert client.get("/healthz").get("Cache-Control") is None


@pytest.mark.parametrize("path", ["/anymail/sendgrid/tracking/", "/admin/login/", "/admin/auth/user/add/"])
def test_the_body_cap_covers_the_webhook_and_admin_uploads(client, settings, path):
    response = client.generic(
        "POST",
        path,
        "x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        **{"wsgi.input": RefusesToBeRead()},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


@pytest.mark.parametrize("path", ["/internal/v1/probe", "/anymail/sendgrid/tracking/", "/api/v1/auth/token"])
def test_a_chunked_body_is_411_never_an_empty_body(service_client, path):
    """Django reads Content-Length bytes; a chunked request has none and would look empty."""
    response = service_client.generic(
        "POST", path, "", HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": RefusesToBeRead()}
    )
    assert response.status_code == 411
    assert response.json()["error"]["code"] == "length_required"


def test_django_request_logs_name_the_path_without_the_query(client, caplog):
    """A signed link's signature is a credential: it must not land in the logs."""
    client.get("/files/clips/a.mp4?expires=1&type=video%2Fmp4&signature=very-secret-signature")
    client.get("/api/nothing-here?signature=very-secret-signature")
    logged = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert any("/files/clips/a.mp4" in message for message in logged), logged
    assert not any("very-secret-signature" in message or "expires=" in message for message in logged)
