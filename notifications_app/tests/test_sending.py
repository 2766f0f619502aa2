"""Sending (`sending.py`): real RQ workers on real Redis send through anymail's SendGrid backend to a
stand-in at the wire."""

import email
import email.policy
import time

import pytest
from django.test import Client
from rq.job import Job
from rq.serializers import JSONSerializer

from devstack.sendgrid import Reply
from devstack.sendgrid_webhook import post, sg_event
from devstack.workers import drain
from notifications_app.models import DeliveryAttempt, Notification, Outcome, Status, Suppression
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from notifications_app.services import notification_send_batch
from notifications_app.tests.support import send
from notifications_app.validation import send_request_validate
from vividly.accounts.tests.factories import StaffFactory, StudentFactory
from vividly.privacy.services import user_erase
from vividly.redis_guard import client

pytestmark = pytest.mark.django_db(transaction=True)


def outcomes(notification):
    return list(DeliveryAttempt.objects.filter(notification=notification).values_list("outcome", flat=True))


def test_jobs_reuse_one_open_provider_connection(sendgrid):
    # Three templates: three calls (emails of one template claimed together would be one).
    for n, template in enumerate(["welcome_student", "content_ready", "request_approved"]):
        send(template, to=f"s{n}@example.edu")
    drain()
    assert len(sendgrid.payloads) == 3
    assert sendgrid.connections == 1  # HTTP keep-alive: no new TCP (TLS, with SendGrid) per email


def test_a_send_reaches_sendgrid_with_both_bodies_and_our_ids(sendgrid):
    context = {**TEMPLATES["content_ready"].sample, "content_title": "Newton's <laws>"}
    notification = send("content_ready", to="maya@example.edu", context=context)
    drain()

    [payload] = sendgrid.payloads
    assert payload["personalizations"][0]["to"] == [{"email": "maya@example.edu"}]
    assert payload["from"] == {"email": "noreply@vividly.edu", "name": "Vividly Team"}
    assert payload["subject"] == "Your video is ready: Newton's <laws>"
    text, html = payload["content"]
    assert text["type"] == "text/plain" and "Newton's <laws>" in text["value"]
    assert html["type"] == "text/html" and "Newton&#39;s &lt;laws&gt;" in html["value"]
    assert context["content_url"] in text["value"] and context["content_url"] in html["value"]
    assert payload["custom_args"] == {"notification_id": str(notification.pk)}
    assert payload["categories"] == ["content_ready"]
    anymail_id = payload["personalizations"][0]["custom_args"]["anymail_id"]
    assert sendgrid.received[0].headers["Authorization"] == f"Bearer {sendgrid.api_key}"

    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.attempts == 1 and notification.sent_at is not None
    assert notification.provider_message_id == anymail_id
    attempt = DeliveryAttempt.objects.get(notification=notification)
    assert (attempt.outcome, attempt.http_status, attempt.provider_message_id) == (Outcome.SENT, 202, anymail_id)
    assert attempt.duration_ms is not None and attempt.finished_at is not None


def tracking(payload: dict) -> tuple[bool, bool]:
    """Return (open tracking, click tracking) as SendGrid was told them."""
    told = payload["tracking_settings"]
    return told["open_tracking"]["enable"], told["click_tracking"]["enable"]


def test_open_and_click_tracking_are_off_for_every_email(sendgrid):
    StaffFactory(email="ops@example.edu")
    send("content_ready", to="maya@example.edu")
    send("content_ready", to="ops@example.edu")
    drain()
    # Per recipient: both may go in one grouped call, whose settings are then each one's.
    per_recipient = [tracking(payload) for payload in sendgrid.payloads for _ in payload["personalizations"]]
    assert per_recipient == [(False, False), (False, False)]
    assert all(
        set(payload["tracking_settings"]) == {"open_tracking", "click_tracking"} for payload in sendgrid.payloads
    )


def test_a_setting_turns_tracking_on_for_staff_recipients_only(sendgrid, settings):
    settings.EMAIL_TRACKING_FOR_STAFF = True
    StaffFactory(email="ops@example.edu")
    StudentFactory(email="maya@example.edu")
    send("content_ready", to="maya@example.edu")
    send("content_ready", to="Ops@Example.edu")
    drain()
    by_address = {p["personalizations"][0]["to"][0]["email"]: tracking(p) for p in sendgrid.payloads}
    assert by_address == {"maya@example.edu": (False, False), "Ops@Example.edu": (True, True)}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_is_sent(sendgrid, template):
    send(template)
    drain()
    [payload] = sendgrid.payloads
    assert payload["subject"] and len(payload["content"]) == 2


def test_priority_order_high_then_normal_then_low(sendgrid):
    for priority in ("low", "normal", "high", "low", "high"):
        send(to=f"{priority}-{time.monotonic_ns()}@example.edu", priority=priority)
    drain()
    order = [email.to.split("-")[0] for email in sendgrid.emails()]
    assert order == ["high", "high", "normal", "low", "low"]


def test_transient_errors_are_retried_after_each_delay(sendgrid, fast_retries):
    sendgrid.script(Reply.server_error(503), Reply.rate_limited(), Reply.hang(1.5), Reply.accepted())
    notification = send()
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.SENT
    assert notification.attempts == 4 == len(sendgrid.payloads)
    assert outcomes(notification) == [Outcome.TRANSIENT_ERROR] * 3 + [Outcome.SENT]
    statuses = list(DeliveryAttempt.objects.filter(notification=notification).values_list("http_status", flat=True))
    assert statuses == [503, 429, None, 202]  # None: a timeout, no answer at all


def test_after_the_last_retry_it_fails(sendgrid, fast_retries):
    sendgrid.script(*[Reply.server_error(500)] * 4)
    notification = send()
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert notification.attempts == 4 == len(fast_retries) + 1
    assert outcomes(notification) == [Outcome.TRANSIENT_ERROR] * 4
    assert "500" in notification.last_error


def test_a_retry_waits_for_its_delay(sendgrid, settings):
    settings.EMAIL_RETRY_DELAYS = [30, 60, 300]
    sendgrid.script(Reply.server_error())
    notification = send()
    drain(wait_for_scheduled=0)
    notification.refresh_from_db()
    assert notification.status == Status.QUEUED and notification.attempts == 1
    assert 25 < (notification.next_attempt_at - notification.status_changed_at).total_seconds() <= 31
    assert queue("default").scheduled_job_registry.count == 1
    # A duplicate job for the row (a sweep, say) cannot send it before its time.
    queue("default").enqueue("notifications_app.jobs.deliver_notification", str(notification.pk))
    drain(wait_for_scheduled=0)
    assert len(sendgrid.payloads) == 1


def test_a_permanent_error_fails_at_once(sendgrid, fast_retries):
    sendgrid.script(Reply.bad_request())
    notification = send()
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.FAILED and notification.attempts == 1
    assert outcomes(notification) == [Outcome.PERMANENT_ERROR]
    assert "verified Sender Identity" in notification.last_error
    assert DeliveryAttempt.objects.get().http_status == 400


def test_a_rejected_api_key_fails_at_once(sendgrid, settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "SENDGRID_API_KEY": "SG.wrong"}
    notification = send()
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.FAILED
    assert DeliveryAttempt.objects.get().http_status == 401


def test_without_a_token_from_the_global_rate_it_waits_and_is_no_attempt(sendgrid, settings):
    settings.EMAIL_RATE_LIMIT_PER_MINUTE = 2
    notifications = [send(to=f"s{n}@example.edu") for n in range(3)]
    drain(wait_for_scheduled=0)
    assert len(sendgrid.emails()) == 2
    waiting = Notification.objects.get(status=Status.QUEUED)
    assert waiting.attempts == 0 and not DeliveryAttempt.objects.filter(notification=waiting).exists()
    assert 50 < (waiting.next_attempt_at - waiting.status_changed_at).total_seconds() < 62
    registry = queue("default").scheduled_job_registry
    [job_id] = registry.get_job_ids()
    assert Job.fetch(job_id, connection=client("state"), serializer=JSONSerializer).args == [str(waiting.pk)]

    # A minute later (the window is cleared and the row is due): that same job sends it.
    for key in client("state").scan_iter("vividly:limits*"):
        client("state").delete(key)
    Notification.objects.filter(pk=waiting.pk).update(next_attempt_at=waiting.status_changed_at)
    registry.remove(job_id)
    queue("default").enqueue_job(Job.fetch(job_id, connection=client("state"), serializer=JSONSerializer))
    drain()
    assert len(sendgrid.emails()) == 3
    assert {n.status for n in Notification.objects.filter(pk__in=[n.pk for n in notifications])} == {Status.SENT}


def test_an_address_suppressed_after_queueing_is_not_sent(sendgrid):
    notification = send(to="gone@example.edu")
    Suppression.objects.create(address="gone@example.edu", reason="hard_bounce")
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.SUPPRESSED and notification.attempts == 0
    assert sendgrid.payloads == []


def test_a_suppressed_email_loses_its_names_and_links_a_failed_one_keeps_them(sendgrid):
    Suppression.objects.create(address="gone@example.edu", reason="hard_bounce")
    context = {**TEMPLATES["content_ready"].sample, "content_title": "Newton's laws"}
    suppressed = send("content_ready", to="gone@example.edu", context=context)
    unrenderable = send("content_ready", to="ok@example.edu", context=context)
    Notification.objects.filter(pk=unrenderable.pk).update(context={"student_name": "Maya"})
    drain()
    suppressed.refresh_from_db()
    unrenderable.refresh_from_db()
    assert suppressed.status == Status.SUPPRESSED and suppressed.context == {"content_title": "Newton's laws"}
    assert unrenderable.status == Status.FAILED and unrenderable.context == {"student_name": "Maya"}


def test_a_suppressed_address_is_accepted_but_never_sent(sendgrid, service_client):
    Suppression.objects.create(address="gone@example.edu", reason="hard_bounce")
    sample = TEMPLATES["welcome_student"].sample
    recipients = [{"to": "Gone@Example.edu", "context": sample}, {"to": "ok@example.edu", "context": sample}]
    response = service_client.post(
        "/internal/v1/notifications/send/batch",
        {"template": "welcome_student", "recipients": recipients},
        format="json",
    )
    assert [item["status"] for item in response.json()["notifications"]] == ["queued", "queued"]
    drain()
    suppressed = Notification.objects.get(to="Gone@Example.edu")
    assert suppressed.status == Status.SUPPRESSED and suppressed.attempts == 0 and "suppressed" in suppressed.last_error
    status = service_client.get(f"/internal/v1/notifications/{suppressed.pk}/status").json()["status"]
    assert status == "suppressed"
    assert [p["personalizations"][0]["to"][0]["email"] for p in sendgrid.payloads] == ["ok@example.edu"]


@pytest.mark.usefixtures("webhook_secret")
def test_a_bounced_address_stays_suppressed_after_its_owner_is_erased(sendgrid):
    student = StudentFactory(email="gone@example.edu")
    bounced = send(to="gone@example.edu")
    drain()
    bounced.refresh_from_db()
    post(Client(), [sg_event(bounced, "bounce", type="bounce", status="5.1.1", reason="550 5.1.1 unknown user")])
    user_erase(username=student.username, actor=None)
    assert "gone@example.edu" not in Suppression.objects.get().address

    again = send(to="Gone@Example.edu")
    drain()

    again.refresh_from_db()
    assert again.status == Status.SUPPRESSED and again.attempts == 0
    assert len(sendgrid.payloads) == 1  # the first email only


def test_a_duplicate_job_sends_nothing_more(sendgrid):
    notification = send()
    queue("default").enqueue("notifications_app.jobs.deliver_notification", str(notification.pk))
    drain()
    assert len(sendgrid.payloads) == 1
    assert Notification.objects.get().attempts == 1


def test_a_template_that_no_longer_renders_fails_without_an_attempt(sendgrid):
    notification = send()
    Notification.objects.filter(pk=notification.pk).update(context={"student_name": "Maya"})
    drain()
    notification.refresh_from_db()
    assert notification.status == Status.FAILED and notification.attempts == 0
    assert "login_url" in notification.last_error and sendgrid.payloads == []


def test_local_mode_writes_eml_files_through_the_same_worker(settings, tmp_path):
    settings.EMAIL_BACKEND = "notifications_app.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    notification = send("password_reset", to="maya@example.edu")
    drain()
    [path] = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["To"] == "maya@example.edu" and message["Subject"] == "Reset your Vividly password"
    assert message["From"] == "Vividly Team <noreply@vividly.edu>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert TEMPLATES["password_reset"].sample["reset_url"] in text and "<!DOCTYPE html>" in html
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 1


def test_local_mode_writes_one_file_per_recipient_of_a_burst_or_a_batch(settings, tmp_path):
    # Grouped calls are anymail's (merge_data); the .eml backend would write one file to all.
    settings.EMAIL_BACKEND = "notifications_app.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    sample = TEMPLATES["content_ready"].sample
    rows = [
        send("content_ready", to=f"s{n}@example.edu", context={**sample, "student_name": f"S{n}"}) for n in range(3)
    ]
    items = [send_request_validate(to=f"b{n}@example.edu", template="content_ready", context=sample) for n in range(2)]
    notification_send_batch(items=items)
    drain()
    messages = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in (tmp_path / "mail").glob("*.eml")
    ]
    assert sorted(message["To"] for message in messages) == sorted(
        [*(row.to for row in rows), "b0@example.edu", "b1@example.edu"]
    )
    for message in messages:
        text = message.get_body(("plain",)).get_content()
        assert "-vv" not in text and "-vv" not in message["Subject"]
        if message["To"].startswith("s"):
            assert f"Hi S{message['To'][1]}," in text
