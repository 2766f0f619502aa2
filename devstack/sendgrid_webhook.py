"""Post to our SendGrid Event Webhook as SendGrid does: events echoing our custom arguments,
Basic auth from the webhook URL and, for the signed webhook, an ECDSA signature."""

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from notifications_app.models import Notification

WEBHOOK = "/anymail/sendgrid/tracking/"
# The Basic credentials tests put in ANYMAIL["WEBHOOK_SECRET"].
SECRET = "sendgrid:hook-secret"
T0 = 1_760_000_000


@pytest.fixture
def webhook_secret(settings: Any) -> str:
    """Turn on the webhook's Basic auth with SECRET, as the README tells to."""
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    return SECRET


def sent_notification(to: str = "maya@example.edu") -> Notification:
    """Return a notification as the worker leaves it after SendGrid accepted it."""
    from notifications_app.models import Status
    from notifications_app.registry import TEMPLATES

    return Notification.objects.create(
        to=to,
        # Sent a while before the events the tests date at T0 and after (an event dated
        # before its notification existed is clamped to its creation).
        created_at=datetime.fromtimestamp(T0 - 3600, tz=UTC),
        template="welcome_student",
        context=TEMPLATES["welcome_student"].sample,
        status=Status.SENT,
        attempts=1,
        provider_message_id=str(uuid.uuid4()),
    )


def sg_event(notification: Notification, event: str, at: int = T0, **extra: Any) -> dict:
    """An event as SendGrid posts it: our custom args (metadata) merged into it."""
    return {
        "email": notification.to,
        "timestamp": at,
        "event": event,
        "sg_event_id": uuid.uuid4().hex,  # SendGrid changes it when it repeats an event
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "anymail_id": notification.provider_message_id,
        "notification_id": str(notification.pk),
        "category": [notification.template],
        **extra,
    }


def echoed_event(payload: dict, event: str, at: int | None = None, **extra: Any) -> dict:
    """The event SendGrid posts about a mail/send `payload` it accepted: it echoes the
    message's and the personalization's custom args (our notification id, anymail's id).

    One recipient's: for a grouped call, `echoed_events` (or one view of `per_recipient`).
    """
    if len(payload["personalizations"]) != 1:
        raise ValueError("a grouped call has an event per recipient: use echoed_events")
    [personalization] = payload["personalizations"]
    return {
        "email": personalization["to"][0]["email"],
        "timestamp": at or int(time.time()),
        "event": event,
        "sg_event_id": uuid.uuid4().hex,
        "sg_message_id": uuid.uuid4().hex[:22] + ".filter0001",
        **(payload.get("custom_args") or {}),
        **(personalization.get("custom_args") or {}),
        **extra,
    }


def notification_id_of(payload: dict) -> str:
    """Return our notification id in a one-recipient `payload` (the personalization's own wins)."""
    [personalization] = payload["personalizations"]
    return {**(payload.get("custom_args") or {}), **(personalization.get("custom_args") or {})}["notification_id"]


def per_recipient(payload: dict) -> list[dict]:
    """Return a grouped mail/send `payload` as one payload per personalization (a single send's is itself)."""
    return [{**payload, "personalizations": [personalization]} for personalization in payload["personalizations"]]


def echoed_events(payload: dict, event: str, at: int | None = None, **extra: Any) -> list[dict]:
    """The events SendGrid posts about every recipient of `payload`, one per personalization."""
    return [echoed_event(one, event, at, **extra) for one in per_recipient(payload)]


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def post_body(client: Client, body: bytes, credentials: str | None = SECRET, **headers: str) -> Any:
    """Post a raw webhook body, with Basic auth unless `credentials` is None."""
    if credentials:
        headers["HTTP_AUTHORIZATION"] = basic(credentials)
    return client.post(WEBHOOK, data=body, content_type="application/json", **headers)


def post(client: Client, events: list[dict], credentials: str | None = SECRET, **headers: str) -> Any:
    return post_body(client, json.dumps(events).encode(), credentials, **headers)


class WebhookSigner:
    """An ECDSA P-256 key pair like the one SendGrid signs its Event Webhook posts with."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())

    @property
    def verification_key(self) -> str:
        """Return the public key as SendGrid shows it (base64 DER), for
        ANYMAIL["SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"]."""
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(public).decode()

    def headers(self, body: bytes, timestamp: str | None = None) -> dict[str, str]:
        """Return the signature headers for `body`: the signature covers timestamp + body."""
        timestamp = timestamp or str(int(time.time()))
        signature = self.key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
        }

    def post(self, client: Client, events: list[dict], credentials: str | None = SECRET) -> Any:
        """Post `events` signed with this key, as SendGrid does."""
        body = json.dumps(events).encode()
        return post_body(client, body, credentials, **self.headers(body))
