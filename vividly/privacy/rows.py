"""Turn model rows into JSON-able dicts: every concrete field, so a field added later is exported too."""

import datetime
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models


def json_value(value: Any) -> Any:
    """Return `value` as JSON can hold it (times in ISO 8601, UUIDs and decimals as strings)."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def model_row(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Return every concrete field of `obj` (foreign keys as their `<name>_id`), minus `exclude`."""
    skipped = set(exclude)
    return {
        field.attname: json_value(field.value_from_object(obj))
        for field in obj._meta.concrete_fields
        if field.name not in skipped and field.attname not in skipped
    }


def model_rows(objects: Iterable[models.Model], *, exclude: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Return `model_row` of each object."""
    skipped = tuple(exclude)
    return [model_row(obj, exclude=skipped) for obj in objects]
