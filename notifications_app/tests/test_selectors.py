"""Reads (`selectors.py`): which rows the sweep may take back, and which addresses are suppressed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications_app.models import Notification, ProviderEvent, Status, Suppression
from notifications_app.privacy import hashed_address
from notifications_app.queueing import sending_lease_seconds
from notifications_app.selectors import address_is_suppressed, stuck_notifications

pytestmark = pytest.mark.django_db


def row(seconds_ago: float, **fields) -> Notification:
    notification = Notification.objects.create(to="maya@example.edu", template="welcome_student", **fields)
    Notification.objects.filter(pk=notification.pk).update(
        status_changed_at=timezone.now() - timedelta(seconds=seconds_ago)
    )
    return notification


def test_stuck_rows_are_the_old_queued_and_the_sending_past_their_lease_oldest_first():
    lease = sending_lease_seconds()
    old_queued = row(600)
    row(30)  # queued, too recent
    past_lease = row(lease + 60, status=Status.SENDING)
    row(lease - 30, status=Status.SENDING)  # its job may still run
    row(900, status=Status.SENT)
    stuck = stuck_notifications(older_than=60, now=timezone.now())
    assert [n.pk for n in stuck] == [old_queued.pk, past_lease.pk]
    assert [n.has_events for n in stuck] == [False, False]


def test_a_row_is_stuck_only_once_its_retry_time_is_older_than_the_age_asked():
    waiting = row(3600, next_attempt_at=timezone.now() - timedelta(seconds=100))
    assert list(stuck_notifications(older_than=300, now=timezone.now())) == []
    ProviderEvent.objects.create(notification=waiting, event_type="deferred", dedupe_key="k")
    [stuck] = stuck_notifications(older_than=60, now=timezone.now())
    assert stuck.pk == waiting.pk and stuck.has_events


def test_suppression_ignores_the_case_of_the_address():
    Suppression.objects.create(address="gone@example.edu", reason="hard_bounce")
    assert address_is_suppressed("Gone@Example.edu")
    assert not address_is_suppressed("ok@example.edu")


def test_an_address_kept_only_as_its_keyed_hash_is_still_suppressed():
    Suppression.objects.create(address=hashed_address("erased@example.edu"), reason="hard_bounce")
    assert address_is_suppressed("Erased@Example.edu")
    assert not address_is_suppressed("other@example.edu")
