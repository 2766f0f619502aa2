"""Provider feedback: SendGrid's unsubscribe, group_unsubscribe and spamreport events turn categories off,
recorded with the event, counted, shown in the admin, and obeyed by the next send."""

import uuid
from datetime import UTC, datetime

import pytest

from devstack.sendgrid_webhook import T0, post, sg_event
from notifications_app.categories import OPTIONAL_CATEGORIES
from notifications_app.delivery_rules import delivery_decision
from notifications_app.models import ChannelSetting, Notification, ProviderEvent, RecipientPreference, Status
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.accounts.tests.factories import StaffFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secret")]

TO = "maya@example.edu"


def sent(template: str = "content_ready") -> Notification:
    return Notification.objects.create(
        to=TO,
        created_at=datetime.fromtimestamp(T0 - 3600, tz=UTC),
        template=template,
        category=TEMPLATES[template].category,
        context=TEMPLATES[template].sample,
        status=Status.SENT,
        attempts=1,
        provider_message_id=str(uuid.uuid4()),
    )


def settings_of(address: str = TO) -> dict[str, tuple[bool, str]]:
    return {
        setting.category: (setting.enabled, setting.reason)
        for setting in ChannelSetting.objects.filter(preference__address=address)
    }


@pytest.mark.parametrize("event", ["unsubscribe", "group_unsubscribe"])
def test_an_unsubscribe_event_turns_that_category_off_with_the_event(client, event):
    notification = sent()
    assert post(client, [sg_event(notification, event, asm_group_id=10)]).status_code == 200
    assert settings_of() == {"content_updates": (False, "unsubscribed")}
    setting = ChannelSetting.objects.get()
    assert setting.event == ProviderEvent.objects.get(event_type="unsubscribed")
    # The next content_ready to the address is suppressed as unsubscribed; a welcome still goes.
    later, welcome = send("content_ready", to=TO), send("welcome_student", to=TO)
    now = datetime.now(UTC)
    assert delivery_decision(later, now=now).reason == "unsubscribed"
    assert delivery_decision(welcome, now=now).action == "send"


def test_a_spam_report_turns_every_optional_category_off_and_is_counted_once(client):
    notification = sent()
    report = sg_event(notification, "spamreport")
    post(client, [report])
    post(client, [{**report, "sg_event_id": uuid.uuid4().hex}])  # SendGrid repeats it with a new id
    assert settings_of() == dict.fromkeys(OPTIONAL_CATEGORIES, (False, "complaint"))
    preference = RecipientPreference.objects.get(address=TO)
    assert preference.complaints == 1 and preference.last_complaint_at is not None
    assert ChannelSetting.objects.get().event.event_type == "complained"
    assert delivery_decision(send("content_ready", to=TO), now=datetime.now(UTC)).reason == "complaint"

    post(client, [sg_event(notification, "spamreport", at=T0 + 60)])  # a second, later report
    preference.refresh_from_db()
    assert preference.complaints == 2


def test_a_later_unsubscribe_keeps_the_complaint_as_the_reason(client):
    notification = sent()
    post(client, [sg_event(notification, "spamreport"), sg_event(notification, "unsubscribe", at=T0 + 5)])
    assert settings_of() == {"content_updates": (False, "complaint")}


def test_an_unsubscribe_from_a_transactional_email_turns_nothing_off(client):
    notification = sent("password_reset")
    post(client, [sg_event(notification, "unsubscribe")])
    assert ProviderEvent.objects.filter(event_type="unsubscribed").count() == 1  # recorded all the same
    assert settings_of() == {}


def test_an_event_naming_another_recipient_unsubscribes_nobody(client):
    notification = sent()
    post(client, [{**sg_event(notification, "spamreport"), "email": "someone-else@example.edu"}])
    assert not ChannelSetting.objects.exists() and not RecipientPreference.objects.exists()


def test_unsubscribes_and_complaints_are_listed_in_the_admin_with_reason_and_time(client):
    notification = sent()
    post(client, [sg_event(notification, "spamreport")])
    client.force_login(StaffFactory())
    page = client.get("/admin/notifications_app/channelsetting/", {"reason__exact": "complaint"})
    assert page.status_code == 200
    [row] = page.context["cl"].result_list
    assert (row.preference.address, row.reason, row.event.event_type) == (TO, "complaint", "complained")
    assert "Reported as spam" in page.content.decode()
    detail = client.get(f"/admin/notifications_app/recipientpreference/{row.preference.pk}/change/")
    assert detail.status_code == 200 and "complaint" in detail.content.decode()
