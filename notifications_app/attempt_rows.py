"""The writes before each single provider call, hand-written: the last call's outcome, this call's attempt.

Why not the ORM: they run once per email sent alone, in the transaction that must commit
before its provider call (`sending.py`), and profiling one worker draining 1,000 emails
(`python -m benchmarks.profile --worker 1000`) showed the ORM building its two UPDATEs and
the INSERT (~2.9 ms of CPU per email under cProfile) costing more than anything but the
provider call itself, where running them costs ~0.1 ms each. Django has no prepared
statements, so the SQL is written once here, in portable SQL (SQLite 3.35+ and PostgreSQL
both answer `INSERT … RETURNING`), with the models' table and column names and Django's own
adaptation of every value (`get_db_prep_value`, `adapt_datetimefield_value`), so the rows
are exactly those the ORM writes; `notifications_app/tests/test_attempt_rows.py` checks that
on the database the tests run on (SQLite locally, PostgreSQL in CI).
"""

from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from notifications_app.models import DeliveryAttempt, Notification, Outcome

# Only names from the models go into these (quoted); every value is a parameter.
OUTCOME_SQL = (
    "UPDATE {attempt} SET {outcome} = %s, {finished_at} = %s, {duration_ms} = %s, {http_status} = %s, "
    "{provider_message_id} = %s WHERE {attempt_id} = %s"
)
COUNT_SQL = "UPDATE {notification} SET {attempts} = {attempts} + 1 WHERE {notification_id} = %s"
INSERT_SQL = (
    "INSERT INTO {attempt} ({attempt_notification}, {number}, {started_at}, {finished_at}, {outcome}, "
    "{http_status}, {error}, {duration_ms}, {provider_message_id}) "
    "VALUES (%s, %s, %s, NULL, %s, NULL, '', NULL, '') RETURNING {attempt_id}"
)
# What an outcome sets, in OUTCOME_SQL's order.
OUTCOME_FIELDS = ("outcome", "finished_at", "duration_ms", "http_status", "provider_message_id")


@cache
def statements(vendor: str) -> tuple[str, str, str]:
    """Return the outcome UPDATE, the attempts UPDATE and the attempt INSERT, quoted for `vendor`."""
    quote = connection.ops.quote_name
    attempt = {field.name: quote(field.column) for field in DeliveryAttempt._meta.concrete_fields}
    names = {
        **attempt,
        "attempt": quote(DeliveryAttempt._meta.db_table),
        "attempt_id": attempt["id"],
        "attempt_notification": attempt["notification"],
        "notification": quote(Notification._meta.db_table),
        "notification_id": quote(Notification._meta.pk.column),
        "attempts": quote(Notification._meta.get_field("attempts").column),
    }
    return OUTCOME_SQL.format(**names), COUNT_SQL.format(**names), INSERT_SQL.format(**names)


def outcome_write(cursor: Any, attempt_id: int, outcome: dict[str, Any]) -> None:
    """Record a call's outcome (OUTCOME_FIELDS) on its attempt row."""
    update, _, _ = statements(connection.vendor)
    values = {**outcome, "finished_at": connection.ops.adapt_datetimefield_value(outcome["finished_at"])}
    cursor.execute(update, [*(values[name] for name in OUTCOME_FIELDS), attempt_id])


def attempt_insert(cursor: Any, notification: Notification, *, number: int, started_at: datetime) -> DeliveryAttempt:
    """Count one more attempt on `notification` and add its `started` attempt row; return it, as saved."""
    _, count, insert = statements(connection.vendor)
    key = Notification._meta.pk.get_db_prep_value(notification.pk, connection)
    cursor.execute(count, [key])
    cursor.execute(insert, [key, number, connection.ops.adapt_datetimefield_value(started_at), Outcome.STARTED])
    (attempt_id,) = cursor.fetchone()
    attempt = DeliveryAttempt(
        id=attempt_id, notification=notification, number=number, started_at=started_at, outcome=Outcome.STARTED
    )
    attempt._state.adding, attempt._state.db = False, connection.alias
    return attempt
