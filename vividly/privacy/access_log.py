"""The access log's writer: entries gathered in the process and written in batches, off the hot path.

`access_log_record` appends to an in-process buffer (a lock and a list append, no query).
The buffer is written in one bulk insert when a request has finished (after the response
went out), when it holds FLUSH_AT entries, before the log is read, and at process exit.
An entry recorded by a worker or a command is written when it calls `access_log_flush()`.

A bulk read (a class's progress, a video's viewers) goes through `access_log_record_reads`,
which notes each subject once per actor and action within ACCESS_LOG_REPEAT_SECONDS:
measured under gunicorn, writing 30 rows for every refresh of a class's progress cost more
than the rest of the request (SQLite's commit of the touched index pages, and the single
writer lock shared by the workers).
"""

import atexit
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from cachetools import TTLCache
from django.conf import settings
from django.core.signals import request_finished
from django.db import DatabaseError
from django.dispatch import receiver
from django.utils import timezone

from vividly.accounts.models import Role
from vividly.privacy import registry
from vividly.privacy.digests import user_digest
from vividly.privacy.models import AccessLogEntry, ActorKind
from vividly.privacy.rows import model_rows
from vividly.process_state import process_wide

logger = logging.getLogger("vividly.privacy")

FLUSH_AT = 200
# A database outage must not grow the buffer without bound: beyond this, the oldest go (and are logged).
KEEP_AT_MOST = 10_000
ERASED_ACTOR = "(erased user)"


@dataclass(frozen=True, slots=True)
class Pending:
    """An entry waiting for the next flush: plain values, turned into a row (and hashed) only when written."""

    occurred_at: datetime
    actor: str
    actor_kind: str
    subject_id: int | None
    subject_username: str
    action: str
    digest_of: int

    def row(self) -> AccessLogEntry:
        return AccessLogEntry(
            occurred_at=self.occurred_at,
            actor=self.actor,
            actor_kind=self.actor_kind,
            subject_id=self.subject_id,
            subject_username=self.subject_username,
            subject_digest=user_digest(self.digest_of),
            action=self.action,
        )


class Buffer:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[Pending] = []

    def add(self, entry: Pending) -> None:
        with self.lock:
            self.entries.append(entry)
            full = len(self.entries) >= FLUSH_AT
        if full:
            self.flush()

    def flush(self) -> int:
        """Write what was gathered in one insert; on a database error keep it for the next flush."""
        with self.lock:
            pending, self.entries = self.entries, []
        if not pending:
            return 0
        try:
            AccessLogEntry.objects.bulk_create([entry.row() for entry in pending], batch_size=500)
        except DatabaseError as exc:
            with self.lock:
                kept = pending + self.entries
                dropped = max(0, len(kept) - KEEP_AT_MOST)
                self.entries = kept[dropped:]
            logger.warning("access log not written, %d entries kept for later: %s", len(kept) - dropped, exc)
            if dropped:
                logger.error("access log buffer full: %d oldest entries dropped", dropped)
            return 0
        return len(pending)

    def discard(self) -> None:
        with self.lock:
            self.entries = []


buffer = Buffer()


def actor_identity(actor: Any) -> tuple[str, str]:
    """Return (name, kind) of who is reading: a service principal, a staff user, a teacher, or an operator."""
    if actor is None:
        return "operator", ActorKind.OPERATOR
    if getattr(actor, "role", None) == "service":
        return str(actor.username), ActorKind.SERVICE
    if actor.is_staff or getattr(actor, "role", None) == Role.ADMIN:
        return actor.username, ActorKind.STAFF
    return actor.username, ActorKind.TEACHER


def access_log_record(*, actor: Any, subject: Any, action: str) -> None:
    """Note that `actor` (a user, a service principal, or None for an operator) read `subject`'s data.

    Costs no query (about 15 µs here): the entry is written with the next batch.
    """
    name, kind = actor_identity(actor)
    buffer.add(Pending(timezone.now(), name[:200], kind, subject.pk, subject.username, action[:64], subject.pk))


def access_log_record_erasure(*, actor: Any, user_id: int) -> None:
    """Note that `actor` erased the user `user_id`: the entry keeps only the digest of the id."""
    name, kind = actor_identity(actor)
    buffer.add(Pending(timezone.now(), name[:200], kind, None, "", "erasure", user_id))


class Subject(NamedTuple):
    """Whose data was read, as a bulk read already knows it (no query for the name)."""

    pk: int
    username: str


# Seconds on a monotonic clock; tests replace it to move time.
clock = time.monotonic


class RecentReads:
    """Which (actor, kind, action, subject) were noted within the window, bounded, thread-safe."""

    def __init__(self, window: float, maxsize: int = 50_000) -> None:
        self.window = window
        self.seen: TTLCache = TTLCache(maxsize=maxsize, ttl=max(window, 1e-9), timer=lambda: clock())
        self.lock = threading.Lock()

    def first_time(self, key: tuple) -> bool:
        """Return whether `key` was not noted within the window, and note it now."""
        return self.first_times([key])[0]

    def first_times(self, keys: list[tuple]) -> list[bool]:
        """Return, for each key, whether it was not noted within the window; note them now
        (one lock for a class's worth of keys)."""
        if self.window <= 0:
            return [True] * len(keys)
        answers = []
        with self.lock:
            for key in keys:
                fresh = key not in self.seen
                if fresh:
                    self.seen[key] = True
                answers.append(fresh)
        return answers


@process_wide("ACCESS_LOG_REPEAT_SECONDS")
def recent_reads() -> RecentReads:
    return RecentReads(settings.ACCESS_LOG_REPEAT_SECONDS)


def access_log_record_reads(*, actor: Any, subjects: Iterable[Subject], action: str) -> int:
    """Note that `actor` read the data of each of `subjects` at once; return how many entries were added.

    A subject already noted for the same actor and action within ACCESS_LOG_REPEAT_SECONDS
    (in this process) is not noted again: the log still says who read whose data, what, and
    when to within the window (an entry's time is the first read of its window). A dropped
    memory (a restart, a full memo) only means one entry more, never one less.
    """
    name, kind = actor_identity(actor)
    name, action = name[:200], action[:64]
    subjects = list(subjects)
    fresh = recent_reads().first_times([(name, kind, action, subject.pk) for subject in subjects])
    now, added = timezone.now(), 0
    for subject, first in zip(subjects, fresh, strict=True):
        if first:
            buffer.add(Pending(now, name, kind, subject.pk, subject.username, action, subject.pk))
            added += 1
    return added


def access_log_flush() -> int:
    """Write the entries gathered so far; return how many."""
    return buffer.flush()


@receiver(request_finished, dispatch_uid="vividly.privacy.access_log_flush")
def _after_response(**kwargs: Any) -> None:
    buffer.flush()


atexit.register(buffer.flush)


def access_log_export(user: Any) -> list[dict[str, Any]]:
    access_log_flush()
    return model_rows(AccessLogEntry.objects.filter(subject_id=user.pk).order_by("occurred_at", "id"))


def access_log_erase(user: Any) -> int:
    """Blank the user's name and id in the entries about them (and by them); the digests remain."""
    access_log_flush()
    about = AccessLogEntry.objects.filter(subject_id=user.pk).update(subject_id=None, subject_username="")
    by = AccessLogEntry.objects.filter(actor=user.username, actor_kind__in=[ActorKind.TEACHER, ActorKind.STAFF]).update(
        actor=ERASED_ACTOR
    )
    return about + by


registry.register("access_log", export=access_log_export, erase=access_log_erase)
