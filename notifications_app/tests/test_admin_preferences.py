"""The admin's preferences: staff edit them under the API's rules, and lifting a suppression records who and why."""

import pytest

from notifications_app.models import ChannelSetting, Notification, RecipientPreference, Suppression, SuppressionLift
from notifications_app.preference_services import recipient_complaint, recipient_unsubscribe
from notifications_app.registry import TEMPLATES
from vividly.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

TO = "maya@example.edu"


@pytest.fixture
def staff(client):
    client.force_login(StaffFactory(username="dana"))
    return client


def form(preference: RecipientPreference, **changes) -> dict:
    data = {
        "address": preference.address,
        "user": "",
        "digest": preference.digest,
        "quiet_start": "",
        "quiet_end": "",
        "timezone": preference.timezone,
        "settings-TOTAL_FORMS": "0",
        "settings-INITIAL_FORMS": "0",
        "settings-MIN_NUM_FORMS": "0",
        "settings-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def change_url(preference: RecipientPreference) -> str:
    return f"/admin/notifications_app/recipientpreference/{preference.pk}/change/"


def test_staff_edit_a_preference_under_the_same_rules(staff):
    preference = RecipientPreference.objects.create(address=TO)
    refused = staff.post(change_url(preference), form(preference, timezone="Mars/Base"))
    assert refused.status_code == 200 and "Unknown time zone" in refused.content.decode()
    refused = staff.post(change_url(preference), form(preference, quiet_start="08:00", quiet_end="08:00"))
    assert "different times" in refused.content.decode()

    saved = staff.post(
        change_url(preference),
        form(preference, timezone="Asia/Tokyo", digest="daily", quiet_start="22:00", quiet_end="07:00"),
    )
    assert saved.status_code == 302
    preference.refresh_from_db()
    assert (preference.timezone, preference.digest, str(preference.quiet_start)) == ("Asia/Tokyo", "daily", "22:00:00")


def test_staff_turn_a_category_off_in_the_inline(staff):
    preference = RecipientPreference.objects.create(address=TO)
    data = form(
        preference,
        **{
            "settings-TOTAL_FORMS": "1",
            "settings-0-category": "content_updates",
            "settings-0-channel": "email",
            "settings-0-preference": str(preference.pk),
        },
    )  # `enabled` unchecked: off
    assert staff.post(change_url(preference), data).status_code == 302
    setting = ChannelSetting.objects.get()
    assert (setting.category, setting.enabled, setting.reason) == ("content_updates", False, "preference")


def lift(staff, changelist: str, action: str, pks: list, reason: str | None):
    data = {"action": action, "_selected_action": [str(pk) for pk in pks]}
    if reason is not None:
        data |= {"apply": "Lift", "reason": reason}
    return staff.post(changelist, data)


def test_lifting_an_unsubscribe_or_complaint_asks_why_and_records_who(staff):
    recipient_complaint(address=TO)
    recipient_unsubscribe(address="leo@example.edu", category="content_updates")
    changelist = "/admin/notifications_app/channelsetting/"
    pks = list(ChannelSetting.objects.values_list("pk", flat=True))

    asked = lift(staff, changelist, "lift_opt_outs", pks, None)
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert not ChannelSetting.objects.filter(enabled=True).exists()  # nothing lifted without a reason
    assert lift(staff, changelist, "lift_opt_outs", pks, "").status_code == 200  # a reason is required

    done = lift(staff, changelist, "lift_opt_outs", pks, "They called the school: it was a mistake.")
    assert done.status_code == 302
    assert set(ChannelSetting.objects.values_list("enabled", "reason")) == {(True, "")}
    lifts = {(row.address, row.lifted, row.lifted_by, row.reason) for row in SuppressionLift.objects.all()}
    assert lifts == {
        (TO, "complaint", "dana", "They called the school: it was a mistake."),
        ("leo@example.edu", "unsubscribed", "dana", "They called the school: it was a mistake."),
    }
    page = staff.get("/admin/notifications_app/suppressionlift/").content.decode()
    assert "dana" in page and "it was a mistake" in page


def test_lifting_a_hard_bounce_deletes_the_suppression_and_records_it(staff):
    suppression = Suppression.objects.create(address=TO, reason="hard_bounce")
    changelist = "/admin/notifications_app/suppression/"
    assert lift(staff, changelist, "lift_suppressions", [suppression.pk], None).status_code == 200
    assert lift(staff, changelist, "lift_suppressions", [suppression.pk], "Mailbox fixed").status_code == 302
    assert not Suppression.objects.exists()
    [record] = SuppressionLift.objects.all()
    assert (record.address, record.lifted, record.lifted_by, record.reason) == (
        TO,
        "hard_bounce",
        "dana",
        "Mailbox fixed",
    )
    assert staff.get(f"/admin/notifications_app/suppressionlift/{record.pk}/change/").status_code == 200


def test_notifications_filter_by_category_and_suppression_reason(staff):
    def row(**fields):
        base = {"to": TO, "template": "welcome_student", "context": TEMPLATES["welcome_student"].sample}
        return Notification.objects.create(**{**base, **fields})

    ready = row(
        template="content_ready", category="content_updates", status="suppressed", suppression_reason="complaint"
    )
    row()
    changelist = "/admin/notifications_app/notification/"
    found = staff.get(changelist, {"suppression_reason__exact": "complaint"}).context["cl"].result_list
    assert [n.pk for n in found] == [ready.pk]
    found = staff.get(changelist, {"category__exact": "content_updates"}).context["cl"].result_list
    assert [n.pk for n in found] == [ready.pk]
