"""Attacks through the notifications API (issue 10): phishing links, overriding the base context,
flooding past a token's daily quota; and who asked is recorded on every notification."""

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.conf import settings as django_settings
from django.urls import resolve
from rest_framework.test import APIClient

from notifications_app.models import Notification
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from vividly.accounts.services import service_token_authenticate
from vividly.accounts.tests.factories import StaffFactory, service_token

pytestmark = pytest.mark.django_db

SEND = "/internal/v1/notifications/send"
BATCH = "/internal/v1/notifications/send/batch"


def body(template="welcome_student", to="maya@example.edu", **context):
    return {"to": to, "template": template, "context": {**TEMPLATES[template].sample, **context}}


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


def token_client(*, name="pipeline", send_quota=None) -> APIClient:
    """Return a client calling as a real service token's principal, with `send_quota` as the
    auth app gives it (set here so these tests need no particular ServiceToken field)."""
    _, key = service_token(name)
    principal = dataclasses.replace(service_token_authenticate(raw_key=key))
    object.__setattr__(principal, "send_quota", send_quota)
    client = APIClient()
    client.force_authenticate(user=principal)
    return client


# --- phishing through the context ------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example.com/login",
        "https://app.vividly.edu.evil.example.com/login",  # a lookalike with an allowed prefix
        "https://localhost@evil.example.com/login",  # userinfo: the host is evil.example.com
        "http://evil.example.com:8000/",
    ],
)
def test_a_link_to_another_host_is_400_per_field(service_client, link):
    response = service_client.post(SEND, body(login_url=link), format="json")
    details = error(response, 400, "validation_error")["details"]
    assert details == {"context": ["Variable 'login_url' must link to one of this service's hosts (EMAIL_LINK_HOSTS)."]}
    assert not Notification.objects.exists()


def test_an_optional_url_variable_is_checked_too(service_client):
    response = service_client.post(SEND, body(help_url="https://evil.example.com/u"), format="json")
    assert "'help_url' must link" in " ".join(error(response, 400, "validation_error")["details"]["context"])


@pytest.mark.parametrize("key", ["site_url", "sender_name", "unsubscribe_url"])
def test_the_base_context_cannot_be_overridden(service_client, key):
    value = "https://localhost/" if key == "site_url" else "Your school's IT desk"
    response = service_client.post(SEND, body(**{key: value}), format="json")
    details = error(response, 400, "validation_error")["details"]
    assert details == {"context": [f"Variable {key!r} is set by the service and cannot be overridden."]}


def test_a_phishing_item_of_a_batch_fails_alone(service_client):
    sample = TEMPLATES["welcome_student"].sample
    recipients = [
        {"to": "a@example.edu", "context": sample},
        {"to": "b@example.edu", "context": {**sample, "login_url": "https://evil.example.com/"}},
    ]
    response = service_client.post(BATCH, {"template": "welcome_student", "recipients": recipients}, format="json")
    first, second = response.json()["notifications"]
    assert first["status"] == "queued"
    assert second["error"]["code"] == "validation_error" and "'login_url' must link" in second["error"]["message"]
    assert list(Notification.objects.values_list("to", flat=True)) == ["a@example.edu"]


def test_a_wildcard_allows_subdomains_only(service_client, settings):
    settings.EMAIL_LINK_HOSTS = ["*.school.example.edu"]
    ok = service_client.post(SEND, body(login_url="https://app.school.example.edu/login"), format="json")
    assert ok.status_code == 202
    for link in ("https://school.example.edu/login", "https://school.example.edu.evil.test/"):
        error(service_client.post(SEND, body(login_url=link), format="json"), 400, "validation_error")


def test_the_default_hosts_are_those_of_app_base_url_and_public_base_url():
    code = "import django; django.setup(); from django.conf import settings; print(settings.EMAIL_LINK_HOSTS)"
    env = {
        "DJANGO_SETTINGS_MODULE": "vividly.settings.local",
        "PUBLIC_BASE_URL": "https://api.school.example.edu:8443",
        "APP_BASE_URL": "https://learn.school.example.edu",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['api.school.example.edu', 'learn.school.example.edu']"


# --- the daily send quota --------------------------------------------------------------


def test_a_token_over_its_daily_quota_gets_429_until_midnight_utc():
    client = token_client(send_quota=2)
    for n in range(2):
        assert client.post(SEND, body(to=f"s{n}@example.edu"), format="json").status_code == 202
    response = client.post(SEND, body(to="s9@example.edu"), format="json")
    assert error(response, 429, "send_quota_exceeded")["details"] == {"send_quota": 2}
    now = datetime.now(UTC)
    to_midnight = 86400 - (now.hour * 3600 + now.minute * 60 + now.second)
    assert abs(int(response["Retry-After"]) - to_midnight) <= 2
    assert Notification.objects.count() == 2


def test_the_quota_is_per_token_and_a_replay_uses_none_of_it():
    first = token_client(name="pipeline-a", send_quota=1)
    sent = first.post(SEND, {**body(), "idempotency_key": "k"}, format="json")
    assert first.post(SEND, {**body(), "idempotency_key": "k"}, format="json").json()["id"] == sent.json()["id"]
    error(first.post(SEND, body(to="other@example.edu"), format="json"), 429, "send_quota_exceeded")
    other = token_client(name="pipeline-b", send_quota=1)
    assert other.post(SEND, body(to="other@example.edu"), format="json").status_code == 202


def test_a_batch_past_the_quota_is_refused_whole_and_uses_none_of_it():
    client = token_client(send_quota=3)
    sample = TEMPLATES["welcome_student"].sample
    recipients = [{"to": f"s{n}@example.edu", "context": sample} for n in range(4)]
    response = client.post(BATCH, {"template": "welcome_student", "recipients": recipients}, format="json")
    error(response, 429, "send_quota_exceeded")
    assert int(response["Retry-After"]) > 0
    assert not Notification.objects.exists() and queue("default").count == 0
    # An invalid item does not count; three valid ones fit exactly.
    recipients[3] = {"to": "not-an-address", "context": sample}
    response = client.post(BATCH, {"template": "welcome_student", "recipients": recipients}, format="json")
    assert response.status_code == 202 and Notification.objects.count() == 3
    error(client.post(SEND, body(to="late@example.edu"), format="json"), 429, "send_quota_exceeded")


def test_no_quota_means_unlimited_and_staff_are_not_limited(as_user):
    unlimited = token_client(send_quota=None)
    staff = StaffFactory()
    object.__setattr__(staff, "send_quota", 0)  # even if a user object carried one
    staff_client = as_user(staff)
    for n in range(3):
        assert unlimited.post(SEND, body(to=f"u{n}@example.edu"), format="json").status_code == 202
        assert staff_client.post(SEND, body(to=f"s{n}@example.edu"), format="json").status_code == 202


# --- who asked, and which scope each endpoint needs ------------------------------------


def test_the_calling_principal_is_recorded_on_every_notification(service_client, as_user):
    staff = StaffFactory(username="ops-carol")
    one = token_client(name="pipeline").post(SEND, body(), format="json").json()["id"]
    two = as_user(staff).post(SEND, body(to="leo@example.edu"), format="json").json()["id"]
    sample = TEMPLATES["welcome_student"].sample
    batch = token_client(name="nightly").post(
        BATCH,
        {"template": "welcome_student", "recipients": [{"to": "b@example.edu", "context": sample}]},
        format="json",
    )
    three = batch.json()["notifications"][0]["id"]
    recorded = dict(Notification.objects.values_list("pk", "requested_by"))
    assert {str(pk): who for pk, who in recorded.items()} == {
        one: "service:pipeline",
        two: "ops-carol",
        three: "service:nightly",
    }


@pytest.mark.parametrize(
    ("path", "scope"),
    [
        (SEND, "notify:send"),
        (BATCH, "notify:send"),
        ("/internal/v1/notifications/0b4a7e1c-0000-4000-8000-000000000000/status", "notify:read"),
    ],
)
def test_each_endpoint_declares_its_scope(path, scope):
    assert resolve(path).func.view_class.required_scope == scope
