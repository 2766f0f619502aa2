"""The hand-written attempt statements (`attempt_rows.py`) write the rows the ORM writes (SQLite, PostgreSQL)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.forms.models import model_to_dict

from notifications_app.attempt_rows import attempt_insert, outcome_write
from notifications_app.models import DeliveryAttempt, Notification, Outcome
from notifications_app.registry import TEMPLATES

pytestmark = pytest.mark.django_db

WITH_MICROSECONDS = datetime(2026, 3, 29, 0, 59, 59, 123456, tzinfo=UTC)
WHOLE_SECOND = datetime(2026, 10, 25, 1, 0, 0, tzinfo=UTC)  # stored without a fraction by SQLite


def notification(n: int = 0, attempts: int = 0) -> Notification:
    return Notification.objects.create(
        to=f"learner{n}@example.edu",
        template="content_ready",
        context=TEMPLATES["content_ready"].sample,
        attempts=attempts,
    )


def row(attempt: DeliveryAttempt) -> dict:
    """The attempt as the ORM reads it back, without its own id."""
    read = model_to_dict(DeliveryAttempt.objects.get(pk=attempt.pk))
    read.pop("id")
    return read


@pytest.mark.parametrize("started_at", [WITH_MICROSECONDS, WHOLE_SECOND])
def test_the_attempt_and_its_count_are_the_orms(started_at):
    ours, theirs = notification(1, attempts=2), notification(2, attempts=2)
    with connection.cursor() as cursor:
        written = attempt_insert(cursor, ours, number=3, started_at=started_at)
    orm = DeliveryAttempt.objects.create(notification=theirs, number=3, started_at=started_at)

    assert row(written) == {**row(orm), "notification": ours.pk}
    assert row(written)["started_at"] == started_at and row(written)["outcome"] == Outcome.STARTED
    assert Notification.objects.get(pk=ours.pk).attempts == 3
    assert Notification.objects.get(pk=theirs.pk).attempts == 2  # only the row it was given
    # The returned instance is the saved row: reading it back changes nothing.
    assert model_to_dict(written) == model_to_dict(DeliveryAttempt.objects.get(pk=written.pk))


@pytest.mark.parametrize("finished_at", [WITH_MICROSECONDS, WHOLE_SECOND])
@pytest.mark.parametrize("http_status", [202, None])
def test_an_outcome_is_written_as_the_orm_writes_it(finished_at, http_status):
    ours, theirs = notification(1), notification(2)
    outcome = {
        "outcome": Outcome.SENT,
        "finished_at": finished_at,
        "duration_ms": 37,
        "http_status": http_status,
        "provider_message_id": "3b7e0c1f-anymail-id",
    }
    with connection.cursor() as cursor:
        written = attempt_insert(cursor, ours, number=1, started_at=WITH_MICROSECONDS)
        outcome_write(cursor, written.pk, outcome)
    orm = DeliveryAttempt.objects.create(notification=theirs, number=1, started_at=WITH_MICROSECONDS)
    DeliveryAttempt.objects.filter(pk=orm.pk).update(**outcome)

    assert row(written) == {**row(orm), "notification": ours.pk}
    assert {name: row(written)[name] for name in outcome} == outcome


def test_the_returned_attempt_saves_like_one_the_orm_loaded():
    # record_failure saves the attempt it was given, with update_fields.
    ours = notification()
    with connection.cursor() as cursor:
        written = attempt_insert(cursor, ours, number=1, started_at=WITH_MICROSECONDS)
    written.outcome, written.error = Outcome.TRANSIENT_ERROR, "503 Service Unavailable"
    written.save(update_fields=["outcome", "error"])
    assert DeliveryAttempt.objects.get(pk=written.pk).error == "503 Service Unavailable"
    assert DeliveryAttempt.objects.count() == 1
