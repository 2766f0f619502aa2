"""What the worker does with each email at send time: one-click headers, suppressions with their reason,
quiet hours. Real RQ workers on real Redis, sending through anymail to the SendGrid stand-in."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from devstack.workers import drain, wait_until
from notifications_app.models import Hold, Notification, Status, Suppression
from notifications_app.preference_services import (
    category_set,
    preference_of_recipient,
    recipient_complaint,
    recipient_unsubscribe,
)
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from notifications_app.sending import notification_deliver
from notifications_app.services import notification_send_batch
from notifications_app.sweep import notifications_requeue_stuck
from notifications_app.tests.support import send
from notifications_app.unsubscribe import unsubscribe_token_read
from notifications_app.validation import send_request_validate

pytestmark = pytest.mark.django_db(transaction=True)

TO = "maya@example.edu"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def status_body(service_client, notification: Notification) -> dict:
    return service_client.get(f"/internal/v1/notifications/{notification.pk}/status").json()


def headers_of(payload: dict) -> dict:
    return payload.get("headers") or {}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_only_non_transactional_emails_carry_the_one_click_link(sendgrid, service_client, template):
    notification = send(template, to=TO)
    drain()
    [payload] = sendgrid.payloads
    text, html = (part["value"] for part in payload["content"])
    body = status_body(service_client, notification)
    assert body["status"] == "sent" and body["category"] == TEMPLATES[template].category
    if TEMPLATES[template].category == "transactional":
        assert not {"List-Unsubscribe", "List-Unsubscribe-Post"} & set(headers_of(payload))
        assert "/email/unsubscribe/" not in text + html
        assert "service email about your Vividly account" in text
        return
    header = headers_of(payload)["List-Unsubscribe"]
    assert header.startswith("<http://localhost:8000/email/unsubscribe/") and header.endswith(">")
    assert headers_of(payload)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = header[1:-1]
    assert f"Unsubscribe: {link}" in text and f'href="{link}"' in html
    # The footer no longer claims to be a service email once it can be unsubscribed from.
    assert "service email" not in text and "service email" not in html
    assert unsubscribe_token_read(link.rsplit("/", 1)[1]) == (TO, "content_updates")


def test_each_recipient_of_a_batch_gets_their_own_link(sendgrid):
    addresses = ["a@example.edu", "b@example.edu", "c@example.edu"]
    sample = TEMPLATES["content_ready"].sample
    notification_send_batch(
        items=[send_request_validate(to=to, template="content_ready", context=sample) for to in addresses]
    )
    drain()
    # One grouped call (`grouping.py`): each personalization carries its own headers.
    [payload] = sendgrid.payloads
    found = {
        email.to: unsubscribe_token_read(email.headers["List-Unsubscribe"][1:-1].rsplit("/", 1)[1])[0]
        for email in sendgrid.emails()
    }
    assert found == {address: address for address in addresses}
    assert "List-Unsubscribe" not in (payload.get("headers") or {})  # never one link shared by all


@pytest.mark.parametrize(
    ("opt_out", "reason"),
    [
        (lambda: recipient_unsubscribe(address=TO, category="content_updates"), "unsubscribed"),
        (lambda: recipient_complaint(address=TO), "complaint"),
        (
            lambda: category_set(preference=preference_of_recipient(TO), category="content_updates", enabled=False),
            "preference",
        ),
    ],
)
def test_a_queued_email_of_a_category_just_turned_off_is_suppressed_with_its_reason(
    sendgrid, service_client, opt_out, reason
):
    ready = send("content_ready", to=TO)  # queued, its job on the queue
    welcome = send("welcome_student", to=TO)
    opt_out()
    drain()
    body = status_body(service_client, ready)
    assert (body["status"], body["suppression_reason"]) == ("suppressed", reason)
    # Transactional email ignores unsubscribes, complaints and preferences.
    assert status_body(service_client, welcome)["status"] == "sent"
    assert status_body(service_client, welcome)["suppression_reason"] is None
    assert [payload["subject"] for payload in sendgrid.payloads] == ["Welcome to Vividly, Maya!"]


def test_a_hard_bounce_stops_transactional_email_too(sendgrid, service_client):
    ready, welcome = send("content_ready", to=TO), send("welcome_student", to=TO)
    Suppression.objects.create(address=TO, reason="hard_bounce")
    drain()
    for notification in (ready, welcome):
        body = status_body(service_client, notification)
        assert (body["status"], body["suppression_reason"]) == ("suppressed", "hard_bounce")
    assert sendgrid.payloads == []


def quiet_night(tz: str = "America/New_York") -> None:
    preference = preference_of_recipient(TO)
    preference.quiet_start, preference.quiet_end, preference.timezone = time(22, 0), time(7, 0), tz
    preference.save()


def scheduled_at(notification: Notification) -> datetime | None:
    registry = queue(notification.queue_name).scheduled_job_registry
    for job_id in registry.get_job_ids():
        job = queue(notification.queue_name).fetch_job(job_id)
        if job is not None and list(job.args) == [str(notification.pk)]:
            return registry.get_scheduled_time(job)
    return None


def test_an_email_due_in_quiet_hours_waits_for_their_end_across_a_dst_change(sendgrid, service_client):
    quiet_night()
    ready = send("content_ready", to=TO)
    queue("default").empty()  # this test plays the worker with its own clock
    # 22:00 EST on 7 March 2026; the clocks spring forward that night: the end is 07:00 EDT, 11:00 UTC.
    assert notification_deliver(notification_id=str(ready.pk), now=utc(2026, 3, 8, 3, 0)) == "held"

    body = status_body(service_client, ready)
    assert (body["status"], body["scheduled_for"]) == ("queued", "2026-03-08T11:00:00Z")
    assert Notification.objects.get(pk=ready.pk).hold == Hold.QUIET_HOURS
    assert scheduled_at(ready) == utc(2026, 3, 8, 11, 0)  # RQ's scheduler wakes it then
    assert sendgrid.payloads == []

    # No job sends it early.
    assert notification_deliver(notification_id=str(ready.pk), now=utc(2026, 3, 8, 10, 0)) == "not_claimed"
    # The sweep does not take it for stuck before its time, and does after (a schedule Redis lost).
    assert notifications_requeue_stuck(older_than=300, now=utc(2026, 3, 8, 11, 4)) == 0
    assert notifications_requeue_stuck(older_than=300, now=utc(2026, 3, 8, 11, 6)) == 1
    assert notification_deliver(notification_id=str(ready.pk), now=utc(2026, 3, 8, 11, 6)) == "sent"
    assert len(sendgrid.payloads) == 1


def test_transactional_email_is_never_held(sendgrid):
    quiet_night()
    welcome = send("welcome_student", to=TO)
    queue("default").empty()
    assert notification_deliver(notification_id=str(welcome.pk), now=utc(2026, 3, 8, 3, 0)) == "sent"


def test_quiet_hours_are_the_recipients_own_time_zone(sendgrid):
    quiet_night("Asia/Tokyo")
    ready = send("content_ready", to=TO)
    queue("default").empty()
    # 03:00 UTC is 22:00 in New York (quiet there) but noon in Tokyo: it goes.
    assert notification_deliver(notification_id=str(ready.pk), now=utc(2026, 3, 8, 3, 0)) == "sent"


def test_a_held_email_goes_with_the_real_worker_once_its_time_has_come(sendgrid, service_client):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    preference = preference_of_recipient(TO)
    # Quiet from three hours ago until an hour ago; the worker saw the email two hours ago.
    preference.quiet_start, preference.quiet_end = (now - timedelta(hours=3)).time(), (now - timedelta(hours=1)).time()
    preference.save()
    ready = send("content_ready", to=TO)
    queue("default").empty()
    assert notification_deliver(notification_id=str(ready.pk), now=now - timedelta(hours=2)) == "held"
    assert scheduled_at(ready) == now - timedelta(hours=1)
    # Its end has come: RQ's scheduler moves the job to the queue and the worker sends it.
    drain()
    assert status_body(service_client, ready)["status"] == "sent"


# --- real `manage.py rqworker` and `run_sweeper` processes, as the service runs them ----------


def test_the_running_service_sends_headers_holds_for_the_digest_and_sends_it(sendgrid, rqworker):
    preference = preference_of_recipient(TO)
    preference.digest = "daily"
    preference.save()
    rqworker.start(sendgrid, DIGEST_RUN_INTERVAL_SECONDS="1")
    welcome = send("welcome_student", to="leo@example.edu")
    ready = [send("content_ready", to=TO) for _ in range(2)]
    wait_until(lambda: Notification.objects.get(pk=welcome.pk).status == Status.SENT, what="the welcome email")
    wait_until(
        lambda: all(Notification.objects.get(pk=row.pk).hold == Hold.DIGEST for row in ready), what="the digest hold"
    )
    [payload] = sendgrid.payloads
    assert "List-Unsubscribe" not in headers_of(payload)

    # The recipient's digest hour has come: the sweeper beside the worker folds them, the worker sends it.
    Notification.objects.filter(pk__in=[row.pk for row in ready]).update(scheduled_for=timezone.now())
    wait_until(lambda: len(sendgrid.payloads) == 2, what="the digest email")
    digest = sendgrid.payloads[1]
    assert digest["subject"] == "2 of your videos are ready"
    assert headers_of(digest)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(Notification.objects.filter(pk__in=[row.pk for row in ready]).values_list("status", flat=True)) == {
        Status.DIGESTED
    }
