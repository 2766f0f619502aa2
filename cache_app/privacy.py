"""What the cache holds about a user, for the privacy registry: the index rows they stored last.

A cached video is shared content, keyed by topic, interest and style, never by who asked
for it: it is not erased with anyone. Only an index row's `stored_by` can name a person (a
staff member who stored the entry through the API); erasure blanks that name and keeps
the entry, which still serves every student.
"""

from typing import Any

from django.db.models import QuerySet

from cache_app.models import CacheEntry
from vividly.privacy import registry
from vividly.privacy.rows import model_rows


def stored_by(user: Any) -> QuerySet[CacheEntry]:
    return CacheEntry.objects.filter(stored_by=user.username)


def cache_entries_export(user: Any) -> list[dict[str, Any]]:
    return model_rows(stored_by(user).order_by("stored_at", "cache_key"))


def cache_entries_erase(user: Any) -> int:
    return stored_by(user).update(stored_by="")


registry.register("cache_entries", export=cache_entries_export, erase=cache_entries_erase)
