"""Accepting notifications (`services.py`) as in-process callers do: the sender is recorded, the
quota is counted once per accepted email, a resend skips the recipient cap."""

import pytest

from notifications_app.models import Notification, Status
from notifications_app.rate_limits import SendQuota
from notifications_app.registry import TEMPLATES
from notifications_app.services import (
    BatchItem,
    NotificationRedacted,
    RecipientRateLimited,
    Sender,
    SendQuotaExceeded,
    notification_resend,
    notification_send,
    notification_send_batch,
)
from notifications_app.validation import send_request_validate
from vividly.errors import InvalidInput

pytestmark = pytest.mark.django_db

SAMPLE = TEMPLATES["welcome_student"].sample


def request(to: str):
    return send_request_validate(to=to, template="welcome_student", context=SAMPLE)


def test_the_sender_is_recorded_and_the_system_is_nobody():
    mine = notification_send(
        to="maya@example.edu", template="welcome_student", context=SAMPLE, sender=Sender("service:pipeline")
    )
    system = notification_send(to="leo@example.edu", template="welcome_student", context=SAMPLE)
    assert (mine.requested_by, system.requested_by) == ("service:pipeline", "")


def test_a_batch_counts_its_valid_items_against_the_quota():
    sender = Sender("service:nightly", SendQuota(token_id=9, per_day=2))
    invalid = BatchItem(to="nope", error=InvalidInput(details={"to": ["Enter a valid email address."]}))
    _, items = notification_send_batch(
        items=[request("a@example.edu"), invalid, request("b@example.edu")], sender=sender
    )
    assert [item.notification is not None for item in items] == [True, False, True]
    assert set(Notification.objects.values_list("requested_by", flat=True)) == {"service:nightly"}
    with pytest.raises(SendQuotaExceeded):
        notification_send(to="c@example.edu", template="welcome_student", context=SAMPLE, sender=sender)


def test_a_resend_skips_the_recipient_cap_but_not_the_rules(settings):
    settings.EMAIL_RECIPIENT_LIMIT_PER_HOUR = 1
    first = notification_send(to="maya@example.edu", template="welcome_student", context=SAMPLE)
    with pytest.raises(RecipientRateLimited):
        notification_send(to="maya@example.edu", template="welcome_student", context=SAMPLE)
    again = notification_resend(notification=first)
    assert again.pk != first.pk and again.status == Status.QUEUED
    Notification.objects.filter(pk=first.pk).update(context={**SAMPLE, "login_url": "https://evil.example.com/"})
    first.refresh_from_db()
    with pytest.raises(InvalidInput):
        notification_resend(notification=first)


@pytest.mark.parametrize("status", [Status.DELIVERED, Status.BOUNCED, Status.REJECTED, Status.SUPPRESSED])
def test_a_final_email_whose_context_was_redacted_is_not_resent(status):
    final = Notification.objects.create(to="maya@example.edu", template="welcome_student", context={}, status=status)
    with pytest.raises(NotificationRedacted) as refused:
        notification_resend(notification=final)
    assert refused.value.status_code == 409 and "cannot be resent" in refused.value.message
    assert Notification.objects.count() == 1
