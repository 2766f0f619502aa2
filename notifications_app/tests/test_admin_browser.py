"""Notifications in the admin as staff see them in a real browser: the list, a notification, resend, previews."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from devstack.browser import overflow
from notifications_app.models import Notification, ProviderEvent, Status, Suppression, SuppressionListReason
from notifications_app.registry import TEMPLATES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHANGELIST = "/admin/notifications_app/notification/"
LIVE_LINK = "https://app.example.edu/reset/3f9a-live-reset-token"


def notification(**fields) -> Notification:
    defaults = {"to": "maya@example.edu", "template": "welcome_student", "context": TEMPLATES["welcome_student"].sample}
    return Notification.objects.create(**{**defaults, **fields})


@pytest.fixture
def mailbox(transactional_db) -> dict:
    batch = uuid.uuid4()
    rows = [
        notification(
            to=f"a-parent-with-a-rather-long-address-{n}@families.example-school-district.edu",
            template="class_invitation",
            context={"teacher_name": "Ms Rivera", "classroom_name": "Physics 9B", "join_url": f"{LIVE_LINK}-{n}"},
            batch_id=batch,
            requested_by="service:classroom-invitations",
            status=Status.SENT,
        )
        for n in range(3)
    ]
    reset = notification(
        template="password_reset",
        context={"name": "Maya", "reset_url": LIVE_LINK, "expires_in_minutes": 30},
        status=Status.SENT,
    )
    now = timezone.now()
    for seconds, event_type in ((4, "delivered"), (1, "queued")):
        ProviderEvent.objects.create(
            notification=reset,
            event_type=event_type,
            occurred_at=now - timedelta(seconds=10 - seconds),
            dedupe_key=f"{event_type}-{seconds}",
        )
    return {"batch": batch, "invitations": rows, "reset": reset}


def test_the_list_fits_1280_px_with_words_not_codes_and_the_batch_link_filters(staff_page, live_server, mailbox):
    page = staff_page
    page.goto(f"{live_server.url}{CHANGELIST}")
    assert overflow(page) == {"page": 0, "table": 0}
    templates = page.locator("#result_list td.field-template").all_inner_texts()
    assert "Class invitation" in templates and "class_invitation" not in templates
    assert "UTC" in page.locator("#result_list td.field-created_at").first.inner_text()

    page.fill("#searchbar", str(mailbox["reset"].pk))
    page.click("#changelist-search input[type=submit]")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)

    page.goto(f"{live_server.url}{CHANGELIST}{mailbox['invitations'][0].pk}/change/")
    page.get_by_role("link", name=str(mailbox["batch"])).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)


def test_a_notification_shows_no_live_link_no_save_and_events_in_order(staff_page, live_server, mailbox):
    page = staff_page
    page.goto(f"{live_server.url}{CHANGELIST}{mailbox['reset'].pk}/change/")
    content = page.locator("#content").inner_text()
    assert "live-reset-token" not in page.content() and "hidden (it grants access)" in content
    assert "Maya" in content
    assert page.locator("input[name=_save]").count() == 0 and page.locator("a.deletelink").count() == 0
    events = page.locator("td.field-event_type").all_inner_texts()
    assert events == ["Processed", "Delivered"]
    times = page.locator("td.field-occurred_at").all_inner_texts()
    assert all(time.count(":") == 2 and time.endswith("UTC") for time in times)  # seconds and the zone


def test_resend_to_a_suppressed_address_is_refused_and_says_how_to_lift_it(staff_page, live_server, mailbox):
    page = staff_page
    reset = mailbox["reset"]
    Suppression.objects.create(address=reset.to, reason=SuppressionListReason.HARD_BOUNCE)
    page.goto(f"{live_server.url}{CHANGELIST}?q=password_reset")
    page.check(f"input[name=_selected_action][value='{reset.pk}']")
    page.select_option("select[name=action]", "resend")
    with page.expect_navigation():
        page.click("button[name=index]")
    message = page.locator(".messagelist li")
    assert message.count() == 1 and "warning" in message.get_attribute("class")
    assert "suppressed (Hard bounce" in message.inner_text() and "queued" not in message.inner_text()
    message.get_by_role("link", name="its suppression").click()
    assert reset.to in page.locator("#content").inner_text()
    assert Notification.objects.filter(template="password_reset").count() == 1


def test_previews_show_each_whole_email(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}{CHANGELIST}preview/")
    frames = page.locator("iframe.email-preview")
    assert frames.count() == len(TEMPLATES)
    # Each frame becomes as tall as its email, once loaded: nothing cut off, no empty band below.
    misfits = """() => [...document.querySelectorAll('iframe.email-preview')]
        .filter(f => {
          const email = f.contentDocument && f.contentDocument.documentElement;
          return !email || f.contentDocument.readyState !== 'complete'
            || email.scrollHeight > f.clientHeight + 1
            || Math.abs(f.clientHeight - email.getBoundingClientRect().height) > 4;
        })
        .map(f => f.title)"""
    page.wait_for_function(f"() => ({misfits})().length === 0", timeout=5_000)
    assert page.evaluate(misfits) == []
    assert overflow(page)["page"] == 0
