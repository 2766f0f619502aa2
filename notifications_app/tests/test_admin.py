"""The admin: list with filters and search, attempts and events inline, resend, requeue, preview."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications_app.models import (
    DeliveryAttempt,
    Notification,
    Outcome,
    ProviderEvent,
    Status,
    Suppression,
    SuppressionListReason,
)
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from notifications_app.selectors import address_is_suppressed
from vividly.accounts.tests.factories import StaffFactory, TeacherFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/notifications_app/notification/"


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory())
    return client


def notification(**fields) -> Notification:
    defaults = {"to": "maya@example.edu", "template": "welcome_student", "context": TEMPLATES["welcome_student"].sample}
    return Notification.objects.create(**{**defaults, **fields})


def listed(response) -> set[str]:
    return {str(row.pk) for row in response.context["cl"].result_list}


def test_the_changelist_filters_and_searches(staff):
    sent = notification(status=Status.SENT, priority="high")
    failed = notification(status=Status.FAILED, template="password_reset", to="leo@example.edu")
    old = notification(created_at=timezone.now() - timedelta(days=30))
    assert listed(staff.get(CHANGELIST)) == {str(sent.pk), str(failed.pk), str(old.pk)}
    assert listed(staff.get(CHANGELIST, {"status__exact": "failed"})) == {str(failed.pk)}
    assert listed(staff.get(CHANGELIST, {"template__exact": "password_reset"})) == {str(failed.pk)}
    assert listed(staff.get(CHANGELIST, {"priority__exact": "high"})) == {str(sent.pk)}
    since = str(timezone.now() - timedelta(days=7))  # what the filter's "Past 7 days" link sends
    assert listed(staff.get(CHANGELIST, {"created_at__gte": since})) == {str(sent.pk), str(failed.pk)}
    assert listed(staff.get(CHANGELIST, {"q": "leo@"})) == {str(failed.pk)}
    assert "Preview email templates" in staff.get(CHANGELIST).content.decode()


def test_the_changelist_shows_and_searches_who_asked(staff):
    mine = notification(requested_by="service:pipeline")
    notification(requested_by="ops-carol")
    page = staff.get(CHANGELIST)
    assert "service:pipeline" in page.content.decode() and "Requested by" in page.content.decode()
    assert listed(staff.get(CHANGELIST, {"q": "service:pipe"})) == {str(mine.pk)}


def test_a_notification_shows_its_attempts_and_events(staff):
    row = notification(status=Status.DELIVERED, attempts=2)
    DeliveryAttempt.objects.create(notification=row, number=1, outcome=Outcome.TRANSIENT_ERROR, http_status=503)
    DeliveryAttempt.objects.create(notification=row, number=2, outcome=Outcome.SENT, http_status=202)
    ProviderEvent.objects.create(notification=row, event_type="delivered", provider_event_id="sg-1", dedupe_key="k")
    response = staff.get(reverse("admin:notifications_app_notification_change", args=[row.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Temporary error" in page and "503" in page and "sg-1" in page


def test_the_preview_renders_every_template(staff):
    response = staff.get(reverse("admin:notifications_preview"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in TEMPLATES:
        assert f'id="{name}"' in page
    # The HTML body sits escaped inside srcdoc; the text body is shown as text.
    assert 'srcdoc="&lt;!DOCTYPE html&gt;' in page
    assert "Your video is ready: Newton&#x27;s laws, told through skateboarding" in page


def test_resend_creates_a_new_notification(staff, django_capture_on_commit_callbacks):
    original = notification(status=Status.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(CHANGELIST, {"action": "resend", "_selected_action": [original.pk]}, follow=True)
    assert response.status_code == 200
    copy = Notification.objects.exclude(pk=original.pk).get()
    assert (copy.to, copy.template, copy.context, copy.status) == (
        original.to,
        original.template,
        original.context,
        Status.QUEUED,
    )
    assert [job.args[0] for job in queue("default").get_jobs()] == [str(copy.pk)]
    assert "1 new notification(s) queued." in response.content.decode()
    assert copy.requested_by == response.wsgi_request.user.username  # the operator who resent it


def test_resend_of_an_unrenderable_notification_reports_why(staff):
    broken = notification(status=Status.FAILED, context={"student_name": "Maya"})
    response = staff.post(CHANGELIST, {"action": "resend", "_selected_action": [broken.pk]}, follow=True)
    assert "login_url" in response.content.decode()
    assert Notification.objects.count() == 1


def test_resend_of_a_delivered_notification_says_its_details_were_removed(staff):
    delivered = notification(status=Status.DELIVERED, context={})
    response = staff.post(CHANGELIST, {"action": "resend", "_selected_action": [delivered.pk]}, follow=True)
    assert "its names and links were removed (privacy); it cannot be resent" in response.content.decode()
    assert Notification.objects.count() == 1


def test_requeue_puts_back_queued_rows_and_skips_finished_ones(staff, django_capture_on_commit_callbacks):
    waiting = notification(next_attempt_at=timezone.now() + timedelta(minutes=5))
    done = notification(status=Status.DELIVERED)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(CHANGELIST, {"action": "requeue", "_selected_action": [waiting.pk, done.pk]}, follow=True)
    page = response.content.decode()
    assert "1 notification(s) put back on their queue." in page and "1 skipped" in page
    assert [job.args[0] for job in queue("default").get_jobs()] == [str(waiting.pk)]
    waiting.refresh_from_db()
    assert waiting.next_attempt_at <= timezone.now()


def test_suppressions_are_listed(staff):
    Suppression.objects.create(address="gone@example.edu", reason="hard_bounce")
    response = staff.get("/admin/notifications_app/suppression/")
    assert response.status_code == 200 and "gone@example.edu" in response.content.decode()


def test_non_staff_are_sent_to_the_login_page(client):
    client.force_login(TeacherFactory())
    assert client.get(reverse("admin:notifications_preview")).status_code == 302
    assert client.get(CHANGELIST).status_code == 302


def test_resend_to_a_suppressed_address_is_refused_with_the_suppression_and_how_to_lift_it(staff):
    original = notification(status=Status.FAILED, to="Gone@Example.edu")
    suppression = Suppression.objects.create(address="gone@example.edu", reason=SuppressionListReason.HARD_BOUNCE)
    response = staff.post(CHANGELIST, {"action": "resend", "_selected_action": [original.pk]}, follow=True)
    shown = [(message.level_tag, str(message)) for message in response.context["messages"]]
    assert len(shown) == 1 and shown[0][0] == "warning"
    assert "suppressed (Hard bounce, since" in shown[0][1] and "queued" not in shown[0][1]
    assert reverse("admin:notifications_app_suppression_change", args=[suppression.pk]) in shown[0][1]
    assert Notification.objects.count() == 1


def test_staff_never_see_an_access_link_or_a_secret_in_a_context(staff):
    reset = notification(
        template="password_reset",
        context={"name": "Maya", "reset_url": "https://app.example.edu/reset/live-secret-1", "expires_in_minutes": 30},
    )
    invite = notification(
        template="class_invitation",
        context={"teacher_name": "Ms Rivera", "join_url": "https://app.example.edu/join/live-secret-2"},
    )
    other = notification(
        template="content_ready",
        context={
            "content_url": "https://app.example.edu/watch/9f2c",
            "api_token": "live-secret-3",
            "meta": {"password": "live-secret-4"},
        },
    )
    for row in (reset, invite, other):
        page = staff.get(reverse("admin:notifications_app_notification_change", args=[row.pk])).content.decode()
        assert "live-secret" not in page and "hidden (it grants access)" in page
    page = staff.get(reverse("admin:notifications_app_notification_change", args=[other.pk])).content.decode()
    assert "https://app.example.edu/watch/9f2c" in page  # an ordinary link stays readable
    assert "Maya" in staff.get(reverse("admin:notifications_app_notification_change", args=[reset.pk])).content.decode()


def test_notifications_and_their_history_are_read_only(staff):
    row = notification(status=Status.SENT)
    DeliveryAttempt.objects.create(notification=row, number=1, outcome=Outcome.SENT, http_status=202)
    url = reverse("admin:notifications_app_notification_change", args=[row.pk])
    page = staff.get(url).content.decode()
    assert 'name="_save"' not in page and f"{row.pk}/delete/" not in page and "DELETE" not in page
    assert staff.post(url.replace("/change/", "/delete/"), {"post": "yes"}).status_code == 403
    assert "delete_selected" not in staff.get(CHANGELIST).content.decode()
    assert Notification.objects.filter(pk=row.pk).exists() and DeliveryAttempt.objects.count() == 1


def test_search_by_template_id_and_batch_and_the_batch_link_filters(staff):
    batch = uuid.uuid4()
    first = notification(batch_id=batch)
    second = notification(batch_id=batch, to="leo@example.edu")
    alone = notification(template="password_reset", to="ana@example.edu", context={"name": "A"})
    assert listed(staff.get(CHANGELIST, {"q": "password_reset"})) == {str(alone.pk)}
    assert listed(staff.get(CHANGELIST, {"q": str(alone.pk)})) == {str(alone.pk)}
    assert listed(staff.get(CHANGELIST, {"q": f" {batch} "})) == {str(first.pk), str(second.pk)}
    assert listed(staff.get(CHANGELIST, {"q": "leo@example"})) == {str(second.pk)}
    page = staff.get(reverse("admin:notifications_app_notification_change", args=[first.pk])).content.decode()
    link = f"{CHANGELIST}?batch_id__exact={batch}"
    assert f'href="{link}"' in page
    assert listed(staff.get(link)) == {str(first.pk), str(second.pk)}


def test_codes_read_as_words_and_events_in_the_order_they_happened(staff):
    row = notification(template="class_invitation", status=Status.DELIVERED, context={})
    now = timezone.now()
    ProviderEvent.objects.create(notification=row, event_type="delivered", occurred_at=now, dedupe_key="b")
    ProviderEvent.objects.create(
        notification=row, event_type="queued", occurred_at=now - timedelta(seconds=2), dedupe_key="a"
    )
    page = staff.get(reverse("admin:notifications_app_notification_change", args=[row.pk])).content.decode()
    assert "Class invitation" in page
    assert page.index("<p>Processed</p>") < page.index("<p>Delivered</p>")
    Suppression.objects.create(address="x@example.edu", reason=SuppressionListReason.HARD_BOUNCE)
    assert "Hard bounce" in staff.get("/admin/notifications_app/suppression/").content.decode()
    assert "Class invitation" in staff.get(CHANGELIST).content.decode()


def test_a_suppression_added_by_staff_is_stored_as_sends_look_it_up(staff):
    response = staff.post(
        "/admin/notifications_app/suppression/add/",
        {"address": "Typo@Example.EDU", "reason": SuppressionListReason.MANUAL, "detail": "parent asked"},
    )
    assert response.status_code == 302
    assert address_is_suppressed("typo@example.edu")
    assert Suppression.objects.get().address == "typo@example.edu"


def test_times_read_in_the_districts_time_zone_with_seconds_and_its_name(staff, settings):
    settings.TIME_ZONE = "America/Chicago"
    notification(created_at=datetime(2026, 12, 1, 18, 30, 5, tzinfo=UTC))
    page = staff.get(CHANGELIST).content.decode()
    assert "2026-12-01 12:30:05 CST" in page
