"""Credentials that are wrong, revoked or malformed, on every kind of path; comparisons in constant time.

/api/ and /internal/ answer 401 with the contract's JSON error body and a challenge.
The SendGrid webhook (our view on anymail's) answers a wrong or missing Basic credential
with a JSON 401 and a Basic challenge, and records nothing.
/files/ takes no token at all: the link's signature is the credential,
so no Authorization header opens an unsigned link or closes a signed one (bad links are
the contract's 403, see delivery_app/tests/test_files.py and tests/test_signed_urls.py).
"""

import base64
import hmac
import json
import uuid
from urllib.parse import urlsplit

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from delivery_app.tests.factories import requested, stored_content
from devstack.api_clients import client_with
from devstack.sendgrid_webhook import sent_notification
from notifications_app.models import Notification, ProviderEvent, Status
from notifications_app.registry import TEMPLATES
from vividly.accounts.services import service_token_revoke
from vividly.accounts.tests.factories import service_token, user_token

pytestmark = pytest.mark.django_db

API = "/api/v1/content/requests"
INTERNAL = "/internal/v1/cache/stats"
WEBHOOK = "/anymail/sendgrid/tracking/"
WEBHOOK_SECRET = "sendgrid:hook-secret"


def latin1(raw: bytes) -> str:
    """A header as a WSGI server hands it over: its bytes, read as latin-1."""
    return raw.decode("latin-1")


MALFORMED = {
    "empty": "",
    "bearer alone": "Bearer",
    "bearer two parts": "Bearer a b",
    "bearer wrong": "Bearer vsk_not-a-real-token",
    "bearer not ours": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
    "bearer lowercase": "bearer vsk_not-a-real-token",
    "token alone": "Token",
    "token two parts": "Token a b",
    "token wrong": "Token 0123456789abcdef0123456789abcdef01234567",
    "token nul": "Token abc\x00def",
    "token control": "Token \x1b[31m\x07",
    "token non-ascii": latin1("Token ключ".encode()),
    "bearer non-ascii": latin1("Bearer vsk_ключ".encode()),
    "token 10 KB": "Token " + "a" * 10_240,
    "bearer 10 KB": "Bearer vsk_" + "a" * 10_240,
    "basic": "Basic " + base64.b64encode(b"admin:admin").decode(),
    "unknown scheme": "Digest username=admin",
    "just spaces": "     ",
}


def assert_401(response, label: str) -> None:
    assert response.status_code == 401, (label, response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json"), label
    error = response.json()["error"]
    assert error["code"] in ("not_authenticated", "authentication_failed") and error["message"], label
    assert response["WWW-Authenticate"], label


@pytest.mark.parametrize("label", MALFORMED)
@pytest.mark.parametrize("path", [API, INTERNAL, "/internal/v1/notifications/send"])
def test_malformed_and_wrong_credentials_are_401_json(path, label):
    client = client_with(MALFORMED[label])
    response = client.get(path) if path != "/internal/v1/notifications/send" else client.post(path, {}, format="json")
    assert_401(response, label)


def test_a_revoked_service_token_stops_at_once_on_every_internal_path(school):
    token, key = service_token()
    service = client_with(f"Bearer {key}")
    assert service.get(INTERNAL).status_code == 200
    service_token_revoke(token=token)
    assert_401(service.get(INTERNAL), "revoked")
    welcome = {"to": "maya@example.edu", "template": "welcome_student", "context": TEMPLATES["welcome_student"].sample}
    assert_401(service.post("/internal/v1/notifications/send", welcome, format="json"), "revoked")
    assert not Notification.objects.exists()
    # Still no way in through the public API either.
    assert_401(service.get(API), "revoked")


def test_a_deleted_user_token_stops_at_once(school, as_user):
    staff, student = as_user(school["staff"]), as_user(school["student_a"])
    assert staff.get(INTERNAL).status_code == 200 and student.get(API).status_code == 200
    AuthToken.objects.filter(user__in=[school["staff"], school["student_a"]]).delete()
    assert_401(staff.get(INTERNAL), "deleted staff token")
    assert_401(student.get(API), "deleted student token")


def test_a_service_token_is_not_a_user_token_and_back(school, as_user):
    _, key = service_token()
    assert_401(client_with(f"Token {key}").get(INTERNAL), "service key as a user token")
    assert_401(client_with(f"Bearer {key}").get(API), "service token on /api/")
    user_key = user_token(school["staff"])
    assert_401(client_with(f"Bearer {user_key}").get(INTERNAL), "user key as a service token")


@pytest.fixture
def webhook(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_SECRET}
    return sent_notification()


def delivered(notification: Notification) -> str:
    return json.dumps(
        [
            {
                "email": notification.to,
                "timestamp": 1_760_000_000,
                "event": "delivered",
                "sg_event_id": uuid.uuid4().hex,
                "anymail_id": notification.provider_message_id,
                "notification_id": str(notification.pk),
            }
        ]
    )


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


@pytest.mark.parametrize(
    "header",
    [
        *MALFORMED.values(),
        basic("sendgrid:wrong"),
        basic("sendgrid:hook-secret-and-more"),
        basic("sendgrid:hook-secre"),
        basic("SENDGRID:hook-secret"),
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(),
    ],
)
def test_the_webhook_refuses_anything_but_its_basic_credentials_with_401(client, webhook, header):
    response = client.post(WEBHOOK, delivered(webhook), content_type="application/json", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert not ProviderEvent.objects.exists()
    webhook.refresh_from_db()
    assert webhook.status == Status.SENT


def test_the_webhook_refuses_api_credentials_too(client, webhook, school):
    _, key = service_token()
    for header in (f"Bearer {key}", f"Token {user_token(school['staff'])}"):
        response = client.post(WEBHOOK, delivered(webhook), content_type="application/json", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401
    assert not ProviderEvent.objects.exists()
    good = client.post(
        WEBHOOK, delivered(webhook), content_type="application/json", HTTP_AUTHORIZATION=basic(WEBHOOK_SECRET)
    )
    assert good.status_code == 200 and ProviderEvent.objects.count() == 1


def test_files_ignore_authorization_headers(as_user, school):
    content = stored_content()
    requested(school["student_a"], content)
    url = urlsplit(as_user(school["student_a"]).get(f"/api/v1/content/{content['cache_key']}/url").json()["url"])
    _, key = service_token()
    for header in [*MALFORMED.values(), f"Bearer {key}", basic(WEBHOOK_SECRET)]:
        client = client_with(header)
        assert client.get(f"{url.path}?{url.query}").status_code == 200, header
        assert client.get(url.path).status_code == 403, header


# --- constant-time comparisons --------------------------------------------------------


class Spy:
    """Wrap a comparison function and record that it decided."""

    def __init__(self, compare) -> None:
        self.compare, self.calls = compare, 0

    def __call__(self, a, b) -> bool:
        self.calls += 1
        return self.compare(a, b)


def test_service_tokens_are_compared_in_constant_time(monkeypatch):
    import vividly.accounts.services as services

    spy = Spy(hmac.compare_digest)
    monkeypatch.setattr(services.hmac, "compare_digest", spy)
    _, key = service_token()
    assert client_with(f"Bearer {key}").get(INTERNAL).status_code == 200
    assert spy.calls == 1


def test_webhook_credentials_are_compared_in_constant_time(client, webhook, monkeypatch):
    import anymail.webhooks.base as anymail_base

    spy = Spy(anymail_base.constant_time_compare)
    monkeypatch.setattr(anymail_base, "constant_time_compare", spy)
    for header in (basic("sendgrid:wrong"), basic(WEBHOOK_SECRET)):
        client.post(WEBHOOK, delivered(webhook), content_type="application/json", HTTP_AUTHORIZATION=header)
    assert spy.calls == 2


def test_local_link_signatures_are_compared_in_constant_time(monkeypatch, as_user, school):
    import delivery_app.signing as signing

    spy = Spy(signing.constant_time_compare)
    monkeypatch.setattr(signing, "constant_time_compare", spy)
    content = stored_content()
    requested(school["student_a"], content)
    url = urlsplit(as_user(school["student_a"]).get(f"/api/v1/content/{content['cache_key']}/url").json()["url"])
    assert APIClient().get(f"{url.path}?{url.query}").status_code == 200
    assert APIClient().get(f"{url.path}?{url.query}"[:-1] + "x").status_code == 403
    assert spy.calls == 2
