"""Process-wide clients and memos: built lazily, reset by one pattern, revoked across processes.

Each process-wide object is made by a `functools.cache`d builder registered with
`process_wide(...)`; Django's `setting_changed` signal (tests swap settings) resets the
builders that depend on the changed setting, the way `django/test/signals.py` does it.

Memos of validated credentials and granted access are `Memo`s (cachetools' TTL cache
behind a lock). A revocation anywhere (`revocation_announce()`) bumps one counter in the
state Redis; every process compares it with the value it last saw at most every
`REVOCATION_POLL_SECONDS` and drops every memo when it moved, so a revoked token or access
stops working in every process within a second, while the hot path costs one Redis round
trip per process per poll interval, never one per request. When the state Redis cannot be
read, the memos are dropped at each poll: correctness over speed.
"""

import functools
import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger("vividly.process_state")

T = TypeVar("T")

REVOCATION_POLL_SECONDS = 0.5
REVOCATION_COUNTER = "vividly:revocations"

# builder -> the settings it reads (an empty set: reset on any setting change).
_builders: dict[Callable[..., Any], frozenset[str]] = {}
_memos: list["Memo"] = []


def process_wide(*setting_names: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate a builder so it runs once per process (per arguments) until a setting it reads changes."""

    def register(build: Callable[..., T]) -> Callable[..., T]:
        cached = functools.cache(build)
        _builders[cached] = frozenset(setting_names)
        return cached

    return register


class Memo:
    """A bounded, thread-safe memory of values for `ttl` seconds, dropped on any revocation."""

    def __init__(self, ttl: float, maxsize: int = 10_000) -> None:
        self._cache: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl, timer=time.monotonic)
        self._lock = threading.Lock()
        _memos.append(self)

    def get(self, key: Hashable) -> Any | None:
        revocations_check()
        with self._lock:
            return self._cache.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._cache[key] = value

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


class _RevocationWatch:
    """What this process last saw of the revocation counter, and when it looked."""

    def __init__(self) -> None:
        self.seen: bytes | None = None
        self.next_poll = 0.0
        self.lock = threading.Lock()


_watch = _RevocationWatch()


def memos_clear() -> None:
    """Drop every memo of this process."""
    for memo in _memos:
        memo.clear()


def revocations_check(*, force: bool = False) -> None:
    """Drop this process's memos if a revocation was announced since the last look (polled)."""
    now = time.monotonic()
    if not force and now < _watch.next_poll:
        return
    with _watch.lock:
        if not force and now < _watch.next_poll:
            return
        _watch.next_poll = now + REVOCATION_POLL_SECONDS
        from vividly.redis_guard import RedisUnavailable, client, guarded

        try:
            current = guarded("state", client("state").get, REVOCATION_COUNTER)
        except RedisUnavailable as exc:
            logger.warning("revocation counter unreadable, dropping memos: %s", exc)
            memos_clear()
            _watch.seen = None
            return
        if current != _watch.seen:
            if _watch.seen is not None or current is not None:
                memos_clear()
            _watch.seen = current


def revocation_announce() -> None:
    """Tell every process to drop its memos (a token, user, request or enrolment changed).

    Announced at once (this transaction's own reads must not use a memo it just made stale),
    and, inside a transaction, once more after its commit: until then, other processes still
    read the old rows and may memoise them again after the first announcement; the second
    one drops those memos too. A rolled-back change only costs one more announcement.
    """
    _announce()
    from django.db import connection, transaction

    if connection.in_atomic_block:
        transaction.on_commit(_announce)


def _announce() -> None:
    memos_clear()
    from vividly.redis_guard import RedisUnavailable, client, guarded

    try:
        guarded("state", client("state").incr, REVOCATION_COUNTER)
    except RedisUnavailable as exc:
        # Other processes cannot read the counter either, so they drop their memos at each poll.
        logger.warning("could not announce a revocation: %s", exc)


def process_state_reset(setting: str | None = None) -> None:
    """Reset the builders that read `setting` (all of them when None) and drop every memo."""
    for cached, names in _builders.items():
        if setting is None or not names or setting in names:
            cached.cache_clear()
    memos_clear()
    _watch.seen, _watch.next_poll = None, 0.0


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    process_state_reset(setting)
