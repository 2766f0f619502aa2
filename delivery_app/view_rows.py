"""The two statements of a progress event, hand-written: read a view's state, update it if unchanged.

Why not the ORM: a progress event is the most frequent write of the service (every few
seconds per viewer), and measured in-process (`python -m benchmarks.profile "progress event"`)
building the ORM's `values().get()` and `filter().update()` took ~1.5 ms and ~0.6 ms of CPU
on this machine where running them took ~0.07 ms each: more than the rest of the request.
Django has no prepared statements, so the SQL is written once here, in portable SQL (SQLite
and PostgreSQL), with the models' table and column names and Django's own adaptation of
the values (`get_db_prep_value`, `adapt_datetimefield_value`), so the rows read and written
are exactly those the ORM reads and writes; `delivery_app/tests/test_view_rows.py` checks
that on both databases.
"""

from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from delivery_app.models import ViewSession

# What a progress event reads, in this order.
STATE_FIELDS = (
    "duration_seconds",
    "position_seconds",
    "furthest_position_seconds",
    "watched_seconds",
    "last_event_at",
    "completed",
    "completed_at",
)


# Only names from the models go into these (quoted); every value is a parameter.
SELECT_SQL = "SELECT {fields} FROM {table} WHERE {id} = %s AND {user} = %s AND {cache_key} = %s"
UPDATE_SQL = (
    "UPDATE {table} SET {watched_seconds} = %s, {position_seconds} = %s, {furthest_position_seconds} = %s, "
    "{last_event_at} = %s WHERE {id} = %s AND {last_event_at} = %s"
)


@cache
def statements(vendor: str) -> tuple[str, str]:
    """Return the SELECT and the conditional UPDATE, for the database `vendor` (its quoting)."""
    quote = connection.ops.quote_name
    names = {field.name: quote(field.column) for field in ViewSession._meta.concrete_fields}
    names |= {"table": quote(ViewSession._meta.db_table), "fields": ", ".join(names[f] for f in STATE_FIELDS)}
    return SELECT_SQL.format(**names), UPDATE_SQL.format(**names)


def aware(value: datetime | str | None) -> datetime | None:
    """Return an aware datetime from what the database gives (PostgreSQL: aware; SQLite: naive UTC
    for a column, the stored text for an aggregate such as a class's MAX(last_event_at))."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value, UTC)


def view_state_read(*, view_id: Any, user_id: int, cache_key: str) -> dict[str, Any] | None:
    """Return the state of the view `view_id` of `user_id` on `cache_key` (STATE_FIELDS), or None."""
    select, _ = statements(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(select, [ViewSession._meta.pk.get_db_prep_value(view_id, connection), user_id, cache_key])
        row = cursor.fetchone()
    if row is None:
        return None
    state = dict(zip(STATE_FIELDS, row, strict=True))
    state["last_event_at"], state["completed_at"] = aware(state["last_event_at"]), aware(state["completed_at"])
    state["completed"] = bool(state["completed"])
    return state


def view_progress_write(
    *, view_id: Any, read_at: datetime, watched: float, position: float, furthest: float, event_at: datetime
) -> bool:
    """Write the new position if the view's last event is still `read_at`; return whether it was."""
    _, update = statements(connection.vendor)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            update,
            [
                watched,
                position,
                furthest,
                adapt(event_at),
                ViewSession._meta.pk.get_db_prep_value(view_id, connection),
                adapt(read_at),
            ],
        )
        return cursor.rowcount == 1
