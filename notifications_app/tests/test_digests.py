"""Daily digests: held content_ready emails folded into one content_ready_digest email that goes through the
same queue, with its idempotency, retries and rate limit intact. Real workers, the SendGrid stand-in."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from devstack.sendgrid import Reply
from devstack.workers import drain
from notifications_app.digests import digest_context, digest_key, digests_send
from notifications_app.models import DeliveryAttempt, Digest, Hold, Notification, Outcome, Status
from notifications_app.preference_services import preference_of_recipient, recipient_unsubscribe
from notifications_app.queueing import queue
from notifications_app.rate_limits import send_slot_take
from notifications_app.registry import TEMPLATES
from notifications_app.sending import notification_deliver
from notifications_app.sweep import notifications_requeue_stuck
from notifications_app.sweeper import DIGEST_TASK_NAME
from notifications_app.tests.support import send
from notifications_app.unsubscribe import unsubscribe_token_read
from vividly.periodic.tasks import periodic_task_run_once, periodic_tasks

pytestmark = pytest.mark.django_db(transaction=True)

TO = "maya@example.edu"
TITLES = ["Newton's laws on a skateboard", "Photosynthesis as a cooking show", "The French Revolution in memes"]


@pytest.fixture
def daily(db):
    preference = preference_of_recipient(TO)
    preference.digest, preference.timezone = Digest.DAILY, "Europe/Paris"
    preference.save()
    return preference


def ready(title: str, to: str = TO, name: str = "Maya") -> Notification:
    sample = TEMPLATES["content_ready"].sample
    link = f"{sample['content_url']}-{title[:3]}"
    context = {**sample, "content_title": title, "student_name": name, "content_url": link}
    return send("content_ready", to=to, context=context)


def held_three() -> list[Notification]:
    rows = [ready(title) for title in TITLES]
    drain()  # the worker holds each for the digest
    return [Notification.objects.get(pk=row.pk) for row in rows]


def status_body(service_client, notification) -> dict:
    return service_client.get(f"/internal/v1/notifications/{notification.pk}/status").json()


def test_three_emails_fold_into_one_digest_at_the_local_digest_hour(sendgrid, service_client, daily, settings):
    settings.DIGEST_HOUR = 16
    rows = held_three()
    assert sendgrid.payloads == []
    slot = rows[0].scheduled_for
    for row in rows:
        assert (row.status, row.hold, row.scheduled_for) == (Status.QUEUED, Hold.DIGEST, slot)
        assert status_body(service_client, row)["scheduled_for"] is not None
    assert slot.astimezone(ZoneInfo("Europe/Paris")).hour == 16
    # Held for the digest is not stuck, however old: the sweep leaves it to the digest run.
    assert notifications_requeue_stuck(older_than=0, now=slot + timedelta(days=3)) == 0

    assert digests_send(now=slot - timedelta(minutes=1)) == 0  # not yet
    assert digests_send(now=slot) == 1
    drain()

    [payload] = sendgrid.payloads
    text, html = (part["value"] for part in payload["content"])
    assert payload["subject"] == "3 of your videos are ready"
    assert text.splitlines()[3] == "Hi Maya,"
    for row in rows:
        assert row.context["content_title"] in text and row.context["content_url"] in text
        assert f'href="{row.context["content_url"]}"' in html
    header = payload["headers"]["List-Unsubscribe"]
    assert payload["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_token_read(header[1:-1].rsplit("/", 1)[1]) == (TO, "content_updates")

    digest = Notification.objects.get(template="content_ready_digest")
    body = status_body(service_client, digest)
    assert (body["status"], body["category"], body["to"]) == ("sent", "content_updates", TO)
    for row in rows:
        body = status_body(service_client, row)
        assert (body["status"], body["digest_id"]) == ("digested", str(digest.pk))
        # Folded rows are final: their names and links went with the fold.
        assert Notification.objects.get(pk=row.pk).context == {"content_title": row.context["content_title"]}


def test_two_runs_never_make_two_digests(sendgrid, daily):
    held_three()
    assert digests_send(everything=True) == 1
    assert digests_send(everything=True) == 0
    drain()
    assert len(sendgrid.payloads) == 1
    assert Notification.objects.filter(template="content_ready_digest").count() == 1


def test_a_digest_already_made_for_that_day_keeps_later_emails_for_the_next_one(sendgrid, daily):
    rows = held_three()
    slot = rows[0].scheduled_for
    day = slot.astimezone(ZoneInfo("Europe/Paris")).date()
    # Another sweeper made this recipient's digest of that day a moment ago.
    Notification.objects.create(
        to=TO, template="content_ready_digest", category="content_updates", idempotency_key=digest_key(TO, day)
    )
    assert digests_send(now=slot) == 0
    for row in Notification.objects.filter(pk__in=[row.pk for row in rows]):
        assert (row.status, row.hold, row.scheduled_for) == (Status.QUEUED, Hold.DIGEST, slot + timedelta(days=1))
    assert digests_send(now=slot + timedelta(days=1)) == 1


def test_the_command_sends_every_open_digest_now(sendgrid, daily):
    held_three()
    other = preference_of_recipient("leo@example.edu")
    other.digest = Digest.DAILY
    other.save()
    ready("Volcanoes", to="leo@example.edu", name="Leo")
    drain()
    call_command("send_digests", "--now")
    drain()
    assert sorted(payload["personalizations"][0]["to"][0]["email"] for payload in sendgrid.payloads) == [
        "leo@example.edu",
        TO,
    ]


def test_a_failed_digest_is_retried_like_any_email(sendgrid, daily, fast_retries):
    held_three()
    sendgrid.script(Reply.server_error(503))
    digests_send(everything=True)
    drain()
    digest = Notification.objects.get(template="content_ready_digest")
    assert digest.status == Status.SENT and digest.attempts == 2
    outcomes = list(DeliveryAttempt.objects.filter(notification=digest).values_list("outcome", flat=True))
    assert outcomes == [Outcome.TRANSIENT_ERROR, Outcome.SENT]


def test_a_digest_waits_for_the_global_rate_like_any_email(sendgrid, daily, settings):
    held_three()
    settings.EMAIL_RATE_LIMIT_PER_MINUTE = 1
    assert send_slot_take().allowed  # another email took the minute's only slot
    digests_send(everything=True)
    digest = Notification.objects.get(template="content_ready_digest")
    queue("default").empty()
    assert notification_deliver(notification_id=str(digest.pk)) == "rate_limited"
    digest.refresh_from_db()
    assert digest.status == Status.QUEUED and digest.attempts == 0 and digest.next_attempt_at is not None
    assert sendgrid.payloads == []


def test_leaving_the_digest_sends_the_held_emails_one_by_one(sendgrid, daily):
    held_three()
    daily.digest = Digest.OFF
    daily.save()
    assert digests_send(everything=True) == 0
    drain()
    assert sorted(payload["subject"] for payload in sendgrid.payloads) == sorted(
        f"Your video is ready: {title}" for title in TITLES
    )


def test_held_emails_of_a_category_turned_off_are_suppressed_not_folded(sendgrid, service_client, daily):
    rows = held_three()
    recipient_unsubscribe(address=TO, category="content_updates")
    digests_send(everything=True)
    drain()
    assert sendgrid.payloads == []
    assert {status_body(service_client, row)["suppression_reason"] for row in rows} == {"unsubscribed"}


def test_the_running_service_makes_digests_at_its_interval(sendgrid, daily, settings):
    settings.DIGEST_RUN_INTERVAL_SECONDS = 30
    [task] = [task for task in periodic_tasks() if task.name == DIGEST_TASK_NAME]
    assert task.interval_seconds() == 30
    rows = held_three()
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(scheduled_for=rows[0].created_at)
    assert periodic_task_run_once(task, owner="host-a:1") == 1
    assert periodic_task_run_once(task, owner="host-b:1") is None  # one sweeper per interval


def test_the_greeting_names_the_one_student_or_nobody():
    def row(name):
        return Notification(context={"student_name": name, "content_title": "T", "content_url": "https://x/1"})

    assert digest_context([row("Maya"), row("Maya")])["student_name"] == "Maya"
    assert digest_context([row("Maya"), row("Leo")])["student_name"] == ""
    assert digest_context([row("")])["student_name"] == ""
