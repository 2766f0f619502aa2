"""Notifications' metrics: emails by status, the webhook's lag, provider events by type."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications_app.models import Notification, ProviderEvent, Status
from notifications_app.tests.support import send
from vividly.observability.tests.support import scraped, value

pytestmark = pytest.mark.django_db


def test_emails_by_status_follow_state_changes():
    first, second = send(to="a@example.edu"), send(to="b@example.edu")
    samples = scraped()
    assert value(samples, "vividly_emails", status="queued") == 2
    assert value(samples, "vividly_emails", status="delivered") == 0

    Notification.objects.filter(pk=first.pk).update(status=Status.DELIVERED)
    Notification.objects.filter(pk=second.pk).update(status=Status.BOUNCED)
    samples = scraped()
    assert value(samples, "vividly_emails", status="queued") == 0
    assert value(samples, "vividly_emails", status="delivered") == 1
    assert value(samples, "vividly_emails", status="bounced") == 1


def test_webhook_lag_is_that_of_the_newest_event_received():
    notification = send()
    assert value(scraped(), "vividly_webhook_receipt_lag_seconds") is None  # no event yet
    now = timezone.now()

    def event(occurred_ago: int, received_ago: int, n: int) -> None:
        ProviderEvent.objects.create(
            notification=notification,
            event_type="delivered",
            occurred_at=now - timedelta(seconds=occurred_ago),
            received_at=now - timedelta(seconds=received_ago),
            dedupe_key=f"k{n}",
        )

    event(occurred_ago=100, received_ago=90, n=1)
    samples = scraped()
    assert value(samples, "vividly_webhook_receipt_lag_seconds") == pytest.approx(10)
    assert value(samples, "vividly_webhook_last_event_age_seconds") >= 100

    event(occurred_ago=45, received_ago=5, n=2)
    samples = scraped()
    assert value(samples, "vividly_webhook_receipt_lag_seconds") == pytest.approx(40)
    assert 45 <= value(samples, "vividly_webhook_last_event_age_seconds") < 90
