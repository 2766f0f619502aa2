"""SendGrid's event webhook through anymail: authenticated, recorded once, statuses only move forward."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from devstack.sendgrid_webhook import SECRET, T0, WebhookSigner, post, post_body, sent_notification, sg_event
from devstack.workers import drain
from notifications_app.models import DeliveryAttempt, Notification, ProviderEvent, Status, Suppression
from notifications_app.registry import TEMPLATES
from notifications_app.selectors import address_is_suppressed
from notifications_app.sending import record_sent
from notifications_app.tests.support import send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secret")]


@pytest.fixture
def sent() -> Notification:
    return sent_notification()


def status_of(notification: Notification) -> str:
    notification.refresh_from_db()
    return notification.status


def test_a_delivered_event_moves_the_status_and_is_listed(client, service_client, sent):
    assert post(client, [sg_event(sent, "processed", T0), sg_event(sent, "delivered", T0 + 5)]).status_code == 200
    assert status_of(sent) == Status.DELIVERED
    assert sent.delivered_at == datetime.fromtimestamp(T0 + 5, tz=UTC)
    data = service_client.get(f"/internal/v1/notifications/{sent.pk}/status").json()
    assert data["status"] == "delivered"
    assert [event["type"] for event in data["events"]] == ["queued", "delivered"]
    assert data["events"][1]["occurred_at"] == "2025-10-09T08:53:25Z"
    record = ProviderEvent.objects.get(event_type="delivered")
    assert record.payload["sg_message_id"].startswith("14c5d75ce93") and record.recipient == "maya@example.edu"


def test_an_event_keeps_only_the_whitelisted_fields(client, sent):
    reader = {"ip": "203.0.113.9", "useragent": "Mozilla/5.0 (iPhone)", "url": "https://app.example/login?t=1"}
    post(client, [sg_event(sent, "click", **reader, url_offset={"index": 0, "type": "html"})])
    payload = ProviderEvent.objects.get().payload
    assert set(payload) == {"event", "timestamp", "sg_event_id", "sg_message_id", "smtp-id", "anymail_id"} | {
        "notification_id",
        "category",
    }
    assert not set(reader.values()) & set(map(str, payload.values()))


def test_a_final_status_redacts_names_and_links_and_an_interim_one_does_not(client, sent):
    post(client, [sg_event(sent, "deferred", T0, attempt="1")])
    sent.refresh_from_db()
    assert sent.status == Status.DEFERRED and sent.context == TEMPLATES["welcome_student"].sample
    post(client, [sg_event(sent, "delivered", T0 + 5)])
    sent.refresh_from_db()
    assert sent.status == Status.DELIVERED and sent.context == {}  # welcome_student: a name and a link


def test_a_bounce_redacts_the_context_too(client, sent):
    post(client, [sg_event(sent, "bounce", type="bounce", status="5.1.1", reason="550 no such user")])
    sent.refresh_from_db()
    assert sent.status == Status.BOUNCED and sent.context == {}


def test_repeated_events_are_recorded_once(client, sent):
    delivered = sg_event(sent, "delivered")
    for _ in range(3):
        # SendGrid retries the post; each retry carries a new sg_event_id.
        assert post(client, [{**delivered, "sg_event_id": uuid.uuid4().hex}]).status_code == 200
    assert ProviderEvent.objects.filter(notification=sent).count() == 1
    assert status_of(sent) == Status.DELIVERED


def test_distinct_events_of_one_type_are_all_kept(client, sent):
    opens = [sg_event(sent, "open", T0 + n, useragent="Mozilla/5.0") for n in range(3)]
    post(client, opens)
    assert ProviderEvent.objects.filter(event_type="opened").count() == 3


def test_a_late_event_never_moves_the_status_back(client, sent):
    post(client, [sg_event(sent, "delivered", T0 + 10)])
    post(client, [sg_event(sent, "processed", T0), sg_event(sent, "deferred", T0 + 2, attempt="1")])
    assert status_of(sent) == Status.DELIVERED
    assert ProviderEvent.objects.filter(notification=sent).count() == 3


def test_bounced_and_rejected_are_final(client, sent):
    post(client, [sg_event(sent, "bounce", T0, type="bounce", status="5.1.1", reason="550 no such user")])
    post(client, [sg_event(sent, "delivered", T0 + 1), sg_event(sent, "open", T0 + 2)])
    assert status_of(sent) == Status.BOUNCED
    assert "550 no such user" in sent.last_error


def test_an_open_proves_delivery_when_the_delivered_event_is_late(client, sent):
    post(client, [sg_event(sent, "open", T0 + 60)])
    assert status_of(sent) == Status.DELIVERED
    assert sent.delivered_at == datetime.fromtimestamp(T0 + 60, tz=UTC)  # delivered by then at the latest
    post(client, [sg_event(sent, "delivered", T0)])
    sent.refresh_from_db()
    assert sent.delivered_at == datetime.fromtimestamp(T0, tz=UTC)


def test_a_provider_event_overrides_our_own_failed_verdict(client, sent):
    # Our last call timed out (failed), yet SendGrid had accepted it and delivered it.
    Notification.objects.filter(pk=sent.pk).update(status=Status.FAILED, sent_at=None)
    post(client, [sg_event(sent, "delivered")])
    assert status_of(sent) == Status.DELIVERED and sent.sent_at is not None


def test_an_event_that_arrives_while_the_worker_waits_is_kept(client, sent):
    Notification.objects.filter(pk=sent.pk).update(status=Status.SENDING, provider_message_id="")
    attempt = DeliveryAttempt.objects.create(notification=sent, number=1)
    post(client, [sg_event(sent, "delivered", anymail_id="from-the-event")])
    record_sent(sent, attempt, message_id="from-the-call", http_status=202, duration_ms=5)
    assert status_of(sent) == Status.DELIVERED
    assert sent.provider_message_id == "from-the-event"


def test_an_event_without_our_metadata_is_found_by_message_id(client, sent):
    event = sg_event(sent, "delivered")
    del event["notification_id"]
    post(client, [event])
    assert status_of(sent) == Status.DELIVERED


def test_events_for_unknown_messages_are_ignored(client, sent):
    stranger = {**sg_event(sent, "delivered"), "anymail_id": "someone-else", "notification_id": str(uuid.uuid4())}
    assert post(client, [stranger, {**stranger, "notification_id": "not-a-uuid"}]).status_code == 200
    assert not ProviderEvent.objects.exists()


def test_a_hard_bounce_suppresses_the_address(client, sent):
    post(client, [sg_event(sent, "bounce", type="bounce", status="5.1.1", reason="550 5.1.1 unknown user")])
    suppression = Suppression.objects.get()
    assert (suppression.address, suppression.reason, suppression.notification_id) == (
        "maya@example.edu",
        "hard_bounce",
        sent.pk,
    )
    assert "unknown user" in suppression.detail
    assert address_is_suppressed("Maya@Example.edu")  # what the worker checks before sending


def test_a_blocked_bounce_does_not_suppress(client, sent):
    post(client, [sg_event(sent, "bounce", type="blocked", reason="IP temporarily blocked")])
    assert status_of(sent) == Status.BOUNCED
    assert not Suppression.objects.exists()


def test_a_drop_for_a_bounced_address_rejects_and_suppresses(client, sent):
    post(client, [sg_event(sent, "dropped", reason="Bounced Address")])
    assert status_of(sent) == Status.REJECTED
    assert Suppression.objects.get().reason == "rejected_bounced"


@pytest.mark.parametrize("credentials", [None, "sendgrid:wrong", "other:hook-secret"])
def test_forged_posts_without_the_basic_credentials_are_refused(client, sent, credentials):
    assert post(client, [sg_event(sent, "delivered")], credentials=credentials).status_code == 401
    assert not ProviderEvent.objects.exists()
    assert status_of(sent) == Status.SENT


class TestSignedWebhook:
    @pytest.fixture(autouse=True)
    def signing_key(self, settings):
        self.signer = WebhookSigner()
        settings.ANYMAIL = {
            **settings.ANYMAIL,
            "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": self.signer.verification_key,
        }

    def signed_post(self, client, events: list[dict], *, tamper: bool = False, signer: WebhookSigner | None = None):
        body = json.dumps(events).encode()
        headers = (signer or self.signer).headers(body)
        if tamper:
            body = body.replace(b"delivered", b"bounce")
        return post_body(client, body, **headers)

    def test_a_correctly_signed_post_is_accepted(self, client, sent):
        assert self.signed_post(client, [sg_event(sent, "delivered")]).status_code == 200
        assert status_of(sent) == Status.DELIVERED

    def test_a_tampered_body_is_refused(self, client, sent):
        assert self.signed_post(client, [sg_event(sent, "delivered")], tamper=True).status_code == 401
        assert not ProviderEvent.objects.exists()

    def test_another_key_is_refused(self, client, sent):
        assert self.signed_post(client, [sg_event(sent, "delivered")], signer=WebhookSigner()).status_code == 401

    @pytest.mark.parametrize(("age", "accepted"), [(0, True), (299, True), (-299, True), (301, False), (-301, False)])
    def test_a_signed_post_older_than_five_minutes_is_refused(self, client, sent, monkeypatch, age, accepted):
        """The attack: a captured signed post replayed later (anymail checks only the signature)."""
        from notifications_app.webhooks import SendGridTrackingView

        now = 1_800_000_000
        monkeypatch.setattr(SendGridTrackingView, "clock", staticmethod(lambda: now))
        body = json.dumps([sg_event(sent, "bounce", type="bounce")]).encode()
        response = post_body(client, body, **self.signer.headers(body, timestamp=str(now - age)))
        assert response.status_code == (200 if accepted else 401)
        assert Suppression.objects.exists() is accepted

    def test_a_signature_timestamp_that_is_not_a_number_is_refused(self, client, sent):
        body = json.dumps([sg_event(sent, "delivered")]).encode()
        assert post_body(client, body, **self.signer.headers(body, timestamp="soon")).status_code == 401
        assert status_of(sent) == Status.SENT

    def test_an_unsigned_post_is_refused_even_with_basic_credentials(self, client, sent):
        assert post(client, [sg_event(sent, "delivered")]).status_code == 401
        assert status_of(sent) == Status.SENT


@pytest.mark.django_db(transaction=True)
def test_events_echoing_a_real_send_find_their_notification(client, sendgrid):
    notification = send()
    drain()
    [payload] = sendgrid.payloads
    # What SendGrid posts back: the personalization's and the message's custom args.
    echoed = {**payload["custom_args"], **payload["personalizations"][0]["custom_args"]}
    event = {"email": "maya@example.edu", "timestamp": T0, "event": "delivered", "sg_event_id": "e1", **echoed}
    assert post(client, [event]).status_code == 200
    assert status_of(notification) == Status.DELIVERED
    assert notification.provider_message_id == echoed["anymail_id"]


@pytest.mark.parametrize(
    ("settings_anymail", "production", "expected"),
    [
        ({"SENDGRID_API_KEY": ""}, True, None),  # local .eml mode: no webhook in use
        ({"SENDGRID_API_KEY": "SG.x"}, False, "notifications.W001"),
        ({"SENDGRID_API_KEY": "SG.x"}, True, "notifications.E001"),
        ({"SENDGRID_API_KEY": "SG.x", "WEBHOOK_SECRET": SECRET}, True, None),
        ({"SENDGRID_API_KEY": "SG.x", "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": "MFkw"}, True, None),
    ],
)
def test_an_open_webhook_is_an_error_in_production_and_a_warning_elsewhere(
    settings, settings_anymail, production, expected
):
    from django.core.checks import ERROR, run_checks

    settings.ANYMAIL = settings_anymail
    if production:
        settings.SETTINGS_MODULE = "vividly.settings.production"
    # Not only a deploy check: every command that runs the checks (migrate, runserver) refuses.
    found = [message for message in run_checks() if message.id.startswith("notifications.")]
    assert [message.id for message in found] == ([expected] if expected else [])
    if production and expected:
        assert found[0].level == ERROR


# --- issue 10: forged events through another provider's view, another recipient, a replay ---


def postmark_bounce(notification: Notification, email: str) -> dict:
    """A Postmark bounce webhook post (anymail's Postmark view reads `Metadata` as metadata)."""
    return {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": email,
        "MessageID": notification.provider_message_id,
        "Metadata": {"notification_id": str(notification.pk)},
        "BouncedAt": "2025-10-09T08:53:20Z",
        "Description": "forged",
    }


def test_other_providers_tracking_paths_are_not_mounted(client, settings, sent):
    """The attack: with only SendGrid's ECDSA key set, anymail's Postmark view checked nothing
    and its bounce suppressed any address. Now its path is a 404 and nothing changes."""
    settings.ANYMAIL = {"SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": WebhookSigner().verification_key}
    for path in ("/anymail/postmark/tracking/", "/anymail/mailgun/tracking/", "/anymail/sendgrid/inbound/"):
        response = client.post(path, json.dumps(postmark_bounce(sent, "victim@example.org")), "application/json")
        assert response.status_code == 404, path
    assert not Suppression.objects.exists() and not ProviderEvent.objects.exists()
    assert status_of(sent) == Status.SENT


def test_events_from_any_other_provider_are_ignored(sent):
    """Should another provider's view ever be mounted again, its events change nothing."""
    from anymail.signals import AnymailTrackingEvent, EventType, tracking

    event = AnymailTrackingEvent(
        event_type=EventType.BOUNCED,
        recipient=sent.to,
        message_id=sent.provider_message_id,
        metadata={"notification_id": str(sent.pk)},
        esp_event={"Type": "HardBounce"},
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")
    assert not ProviderEvent.objects.exists() and not Suppression.objects.exists()
    assert status_of(sent) == Status.SENT


@pytest.mark.parametrize("email", ["victim@example.org", "", None])
def test_an_event_for_another_recipient_changes_nothing(client, sent, email):
    bounce = sg_event(sent, "bounce", type="bounce", reason="550 no such user", email=email)
    assert post(client, [bounce, sg_event(sent, "dropped", reason="Bounced Address", email=email)]).status_code == 200
    assert not Suppression.objects.exists() and not ProviderEvent.objects.exists()
    assert status_of(sent) == Status.SENT


def test_the_recipient_is_matched_whatever_its_case(client, sent):
    post(client, [sg_event(sent, "bounce", type="bounce", email="Maya@EXAMPLE.edu")])
    assert status_of(sent) == Status.BOUNCED
    assert Suppression.objects.get().address == "maya@example.edu"
