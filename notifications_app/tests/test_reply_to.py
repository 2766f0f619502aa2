"""SENDGRID_REPLY_TO: where readers' replies go, on every email, as SendGrid receives it; unset, no header."""

import email
import email.policy

import pytest
from django.core.checks import run_checks

from devstack.sendgrid import payload_errors
from devstack.workers import drain
from notifications_app.models import Notification, Status
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send

pytestmark = pytest.mark.django_db(transaction=True)


def test_every_template_carries_the_reply_to_at_sendgrid(sendgrid, settings):
    settings.SENDGRID_REPLY_TO = "School Office <office@school.example.edu>"
    for n, template in enumerate(sorted(TEMPLATES)):
        send(template, to=f"reader{n}@example.edu")
    drain()
    assert len(sendgrid.payloads) == len(TEMPLATES)
    assert {payload["categories"][0] for payload in sendgrid.payloads} == set(TEMPLATES)
    for payload in sendgrid.payloads:
        assert payload["reply_to_list"] == [{"email": "office@school.example.edu", "name": "School Office"}]
        assert payload["from"] == {"email": "noreply@vividly.edu", "name": "Vividly Team"}  # the sender is unchanged
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


def test_unset_there_is_no_reply_to(sendgrid, settings):
    settings.SENDGRID_REPLY_TO = ""
    send("request_denied")
    drain()
    [payload] = sendgrid.payloads
    assert "reply_to" not in payload and "reply_to_list" not in payload


def test_the_local_eml_carries_the_reply_to_header(settings, tmp_path):
    settings.SENDGRID_REPLY_TO = "office@school.example.edu"
    settings.EMAIL_BACKEND = "notifications_app.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    send("request_denied")
    drain()
    [path] = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["Reply-To"] == "office@school.example.edu"


def test_the_stand_in_refuses_a_reply_to_without_an_address():
    payload = {
        "personalizations": [{"to": [{"email": "a@example.edu"}]}],
        "from": {"email": "noreply@vividly.edu"},
        "subject": "s",
        "content": [{"type": "text/plain", "value": "x"}],
        "reply_to_list": [{"name": "School Office"}],
    }
    assert payload_errors(payload) == [{"field": "reply_to_list.email", "message": "The reply_to email is required."}]
    both = {**payload, "reply_to_list": [{"email": "o@example.edu"}], "reply_to": {"email": "o@example.edu"}}
    assert [error["field"] for error in payload_errors(both)] == ["reply_to_list"]


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("", False),
        ("office@school.example.edu", False),
        ("School Office <office@school.example.edu>", False),
        ("the school office", True),
        ("a@example.edu, b@example.edu", True),
    ],
)
def test_a_reply_to_that_is_not_one_address_stops_the_service_starting(settings, value, refused):
    settings.SENDGRID_REPLY_TO = value
    errors = [message.id for message in run_checks() if message.id == "notifications.E002"]
    assert errors == (["notifications.E002"] if refused else [])
