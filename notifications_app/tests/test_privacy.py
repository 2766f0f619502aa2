"""Notifications' part of privacy: retention of emails and provider events, and the hashed suppression."""

from datetime import datetime, timedelta

import pytest
from django.apps import apps as django_apps

from notifications_app.models import DeliveryAttempt, Notification, ProviderEvent, Suppression
from notifications_app.privacy import (
    context_redacted,
    existing_rows_minimise,
    hashed_address,
    provider_event_payload_minimised,
    suppressed_forms,
)
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.accounts.tests.factories import StudentFactory
from vividly.privacy.services import expired_data_purge, user_erase

pytestmark = pytest.mark.django_db

NOW = datetime.fromisoformat("2026-12-01T12:00:00+00:00")


def event(notification: Notification, *, received_at: datetime, key: str) -> ProviderEvent:
    return ProviderEvent.objects.create(
        notification=notification, event_type="delivered", received_at=received_at, dedupe_key=key
    )


def test_notifications_older_than_the_window_go_with_their_events_and_attempts():
    old = send(to="old@example.edu")
    Notification.objects.filter(pk=old.pk).update(created_at=NOW - timedelta(days=91))
    DeliveryAttempt.objects.create(notification=old, number=1)
    event(old, received_at=NOW - timedelta(days=91), key="old")
    recent = send(to="recent@example.edu")
    Notification.objects.filter(pk=recent.pk).update(created_at=NOW - timedelta(days=89))

    run = expired_data_purge(now=NOW)

    assert run.counts["notifications"] == 1
    assert list(Notification.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not DeliveryAttempt.objects.exists() and not ProviderEvent.objects.exists()


def test_provider_events_are_kept_thirty_days_their_notification_longer(settings):
    settings.RETENTION_BATCH_SIZE = 2
    notification = send()
    for n in range(5):
        event(notification, received_at=NOW - timedelta(days=31), key=f"old-{n}")
    kept = event(notification, received_at=NOW - timedelta(days=29), key="recent")

    dry = expired_data_purge(now=NOW, dry_run=True)
    assert dry.counts["provider_events"] == 5 and ProviderEvent.objects.count() == 6

    run = expired_data_purge(now=NOW)
    assert run.counts["provider_events"] == 5
    assert list(ProviderEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert Notification.objects.filter(pk=notification.pk).exists()


def test_an_erased_users_suppression_is_kept_as_a_keyed_hash_only():
    student = StudentFactory(email="Gone@Example.edu")
    Suppression.objects.create(address="gone@example.edu", reason="hard_bounce", detail="550 gone@example.edu")

    user_erase(username=student.username, actor=None)

    suppression = Suppression.objects.get()
    assert suppression.address == hashed_address("gone@example.edu") and suppression.detail == ""
    assert suppression.address in suppressed_forms("GONE@example.edu")
    assert "gone" not in suppression.address


def test_a_second_user_with_an_already_hashed_address_leaves_one_suppression():
    Suppression.objects.create(address=hashed_address("twice@example.edu"), reason="hard_bounce")
    Suppression.objects.create(address="twice@example.edu", reason="hard_bounce")
    student = StudentFactory(email="twice@example.edu")

    assert user_erase(username=student.username, actor=None)["suppressions"] == 1

    assert list(Suppression.objects.values_list("address", flat=True)) == [hashed_address("twice@example.edu")]


def test_the_hash_depends_on_the_secret_key(settings):
    before = hashed_address("a@example.edu")
    settings.SECRET_KEY = "another-secret-key-for-this-test-only"
    assert hashed_address("a@example.edu") != before


def test_a_provider_event_keeps_only_the_whitelisted_fields():
    raw = {
        "event": "click",
        "email": "maya@example.edu",
        "timestamp": 1764590400,
        "sg_message_id": "m-1",
        "ip": "203.0.113.9",
        "useragent": "Mozilla/5.0",
        "url": "https://app.vividly.edu/reset/secret",
        "url_offset": {"index": 0},
        "reason": "550 unknown",
    }
    assert provider_event_payload_minimised(raw) == {
        "event": "click",
        "timestamp": 1764590400,
        "sg_message_id": "m-1",
        "reason": "550 unknown",
    }


def test_a_final_emails_names_and_links_are_redacted():
    context = {"student_name": "Maya", "name": "Maya", "content_title": "Newton", "content_url": "https://x/w/1"}
    assert context_redacted(context) == {"content_title": "Newton"}


def test_the_data_migration_minimises_rows_stored_before_the_rules():
    delivered = send("content_ready", context={**TEMPLATES["content_ready"].sample})
    Notification.objects.filter(pk=delivered.pk).update(status="delivered")
    queued = send("content_ready", to="other@example.edu")
    ProviderEvent.objects.create(
        notification=delivered, event_type="opened", dedupe_key="o", payload={"event": "open", "ip": "203.0.113.9"}
    )

    existing_rows_minimise(django_apps, None)

    delivered.refresh_from_db()
    queued.refresh_from_db()
    assert delivered.context == {"content_title": TEMPLATES["content_ready"].sample["content_title"]}
    assert queued.context == TEMPLATES["content_ready"].sample  # it will still be rendered
    assert ProviderEvent.objects.get().payload == {"event": "open"}


def test_preferences_are_exported_and_erased_with_their_user():
    from notifications_app.models import ChannelSetting, RecipientPreference, SuppressionLift
    from notifications_app.preference_services import category_set, preference_of_recipient, preference_of_user
    from vividly.privacy.services import user_export

    student = StudentFactory(email="zoe@example.edu")
    preference = preference_of_user(student)
    preference.timezone = "Europe/Paris"
    preference.save()
    category_set(preference=preference, category="content_updates", enabled=False, reason="unsubscribed")
    SuppressionLift.objects.create(address="zoe@example.edu", lifted="hard_bounce", lifted_by="dana", reason="typo")
    other = preference_of_recipient("leo@example.edu")

    [row] = user_export(username=student.username, actor=StudentFactory())["preferences"]
    assert (row["address"], row["timezone"], row["user_id"]) == ("zoe@example.edu", "Europe/Paris", student.pk)
    assert [(s["category"], s["enabled"], s["reason"]) for s in row["settings"]] == [
        ("content_updates", False, "unsubscribed")
    ]
    assert [lift["reason"] for lift in row["lifts"]] == ["typo"]

    erased = user_erase(username=student.username, actor=StudentFactory())
    assert erased["preferences"] >= 1
    assert list(RecipientPreference.objects.all()) == [other]
    assert not ChannelSetting.objects.exists() and not SuppressionLift.objects.exists()


def test_a_digests_links_are_redacted_once_it_is_final():
    context = {"student_name": "Zoe", "items": [{"content_title": "T", "content_url": "https://x/1"}]}
    assert context_redacted(context) == {"items": [{"content_title": "T"}]}
