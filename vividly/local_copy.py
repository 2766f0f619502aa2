"""Process-local copies of Redis values, kept in memory until Redis says they changed: the hot
tier's documents (cache_app/tiers.py) and the remembered signed URLs (delivery_app/url_cache.py).

Redis (6+) tracks keys for a client (`CLIENT TRACKING ON BCAST PREFIX <p>`) and sends it an
invalidation whenever one of them is written, deleted, expires, is evicted or flushed.
redis-py 8.1 has a client-side cache built on this, but it refuses servers older than Redis
7.4 (ours are 7.0, STACK-NOTES), so this module keeps the one tracking connection per process
itself: RESP2, redirected to itself and subscribed to `__redis__:invalidate`, the way the
Redis documentation describes it. The copies live in a cachetools `TLRUCache` that expires
each one no later than Redis expires its key.

Never served after a write returned, by a lease:

- The listener sends `PING <n>` on that connection every LEASE/4. Redis answers in order, so
  the pong arrives after every invalidation of every write Redis executed before that ping:
  when it arrives, the copy reflects all of them. Its send time becomes `fresh_as_of`.
- A copy is served only while `now - fresh_as_of <= LEASE`; otherwise the read goes to Redis.
- Every write that removes or replaces a document (store, invalidate) waits LEASE plus a
  margin after Redis acknowledged it (`settle`), before it returns.

A read in any process that begins after such a write returned can therefore be served from a
copy only if that process's listener holds a pong for a ping sent after the write, so it has
applied the write's invalidation. A copy is only added if no invalidation arrived between
just before the read of Redis and its insertion (the generation), so a read racing a write
cannot keep the old document. A dropped connection, a Redis restart or failover, a listener
starved of the GIL or a paused Redis all stop the pongs: within LEASE every read goes to Redis
again, and a new connection starts from an empty copy. Durations are compared, never clock
readings of two machines, so this holds as long as clocks run at the same rate.
"""

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import TLRUCache
from django.conf import settings
from django.core.cache import caches
from redis.connection import AbstractConnection

from vividly.process_state import process_wide
from vividly.redis_guard import client, guarded

logger = logging.getLogger("vividly.local_copy")

INVALIDATE_CHANNEL = "__redis__:invalidate"
# Beyond LEASE, for the writer's clock to tick past the lease of a ping sent just before its
# write was executed (a ping sent at the very instant of the write proves nothing).
SETTLE_MARGIN_SECONDS = 0.01
# Reconnect after this many leases without a pong: the connection is half-open or Redis is stuck.
SILENT_LEASES_BEFORE_RECONNECT = 20
RECONNECT_BACKOFF_SECONDS = (0.05, 0.1, 0.2, 0.5, 1.0)


@dataclass(frozen=True)
class Copy:
    raw: bytes
    expires_at: float


class LocalCopy:
    """Copies of values (as Redis stored them) for keys under `prefix`, kept current by one
    tracking connection and served only within the lease (module docstring)."""

    def __init__(
        self,
        *,
        connect: Callable[[], AbstractConnection],
        prefix: str,
        lease_seconds: float,
        maxsize: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefix = prefix
        self.lease = lease_seconds
        self._connect = connect
        self.clock = clock
        self._entries: TLRUCache = TLRUCache(maxsize=maxsize, ttu=lambda _key, copy, _now: copy.expires_at, timer=clock)
        self._lock = threading.Lock()
        self._generation = 0
        self._fresh_as_of = -math.inf
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._listen, name=f"tracking {prefix}", daemon=True)
        self._thread.start()

    # --- what readers call

    def get(self, key: str) -> bytes | None:
        """Return the copy of `key`'s value, or None when there is none or the lease has lapsed."""
        now = self.clock()
        with self._lock:
            if now - self._fresh_as_of > self.lease:
                return None
            copy = self._entries.get(key)
        return copy.raw if copy is not None else None

    def ticket(self) -> int:
        """Return what `put` needs: taken just before reading Redis."""
        with self._lock:
            return self._generation

    def put(self, key: str, raw: bytes, ttl_ms: int, *, ticket: int, read_started: float) -> None:
        """Keep `raw` for `key` until Redis's expiry, unless an invalidation arrived since `ticket`.

        `ttl_ms` is the key's PTTL read with the value and `read_started` the clock before the
        read, so the copy expires no later than the key does.
        """
        if ttl_ms < 0:
            return  # gone meanwhile (-2), or without expiry (-1), which the hot tier never writes
        with self._lock:
            if ticket != self._generation:
                return
            self._entries[key] = Copy(raw=raw, expires_at=read_started + ttl_ms / 1000)

    def is_fresh(self) -> bool:
        """Return whether copies may be served now (the listener's lease holds)."""
        with self._lock:
            return self.clock() - self._fresh_as_of <= self.lease

    def wait_fresh(self, timeout: float) -> bool:
        """Wait (up to `timeout` seconds) until the lease holds; for start-up checks and tests."""
        deadline = time.monotonic() + timeout
        while not self.is_fresh():
            if time.monotonic() > deadline:
                return False
            self._stopped.wait(self.lease / 8)
        return True

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._lapse()

    # --- the listener thread

    def _lapse(self) -> None:
        """Stop serving and forget every copy: invalidations may have been missed."""
        with self._lock:
            self._fresh_as_of = -math.inf
            self._entries.clear()
            self._generation += 1

    def _listen(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            connection = None
            try:
                connection = self._connect()
                self._track(connection)
                failures = 0
                self._session(connection)
            except Exception as exc:  # noqa: BLE001 - any failure: serve nothing, reconnect
                logger.warning("tracking connection for %s lost, copies dropped: %s", self.prefix, exc)
                failures += 1
            finally:
                self._lapse()
                if connection is not None:
                    connection.disconnect()
            self._stopped.wait(RECONNECT_BACKOFF_SECONDS[min(failures, len(RECONNECT_BACKOFF_SECONDS) - 1)])

    def _track(self, connection: AbstractConnection) -> None:
        connection.connect()
        connection.send_command("CLIENT", "ID")
        client_id = connection.read_response()
        connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", client_id, "BCAST", "PREFIX", self.prefix)
        if connection.read_response() != b"OK":
            raise ConnectionError("CLIENT TRACKING was refused")
        connection.send_command("SUBSCRIBE", INVALIDATE_CHANNEL)
        reply = connection.read_response()
        if not (isinstance(reply, list) and reply[:1] == [b"subscribe"]):
            raise ConnectionError(f"unexpected answer to SUBSCRIBE: {reply!r}")
        # Whatever was copied before this connection tracked anything cannot be trusted.
        self._lapse()

    def _session(self, connection: AbstractConnection) -> None:
        interval = self.lease / 4
        pending: dict[bytes, float] = {}
        sequence = 0
        next_ping = self.clock()
        while not self._stopped.is_set():
            now = self.clock()
            if now >= next_ping:
                if pending and now - min(pending.values()) > self.lease * SILENT_LEASES_BEFORE_RECONNECT:
                    raise TimeoutError("no pong from Redis")
                sequence += 1
                pending[str(sequence).encode()] = now
                connection.send_command("PING", str(sequence))
                next_ping = now + interval
            if connection.can_read(timeout=max(0.0, next_ping - self.clock())):
                self._handle(connection.read_response(), pending)

    def _handle(self, reply: list, pending: dict[bytes, float]) -> None:
        kind = reply[0]
        if kind == b"message":
            keys = reply[2]
            with self._lock:
                if keys is None:  # FLUSHDB / FLUSHALL
                    self._entries.clear()
                else:
                    for key in keys:
                        self._entries.pop(key.decode(), None)
                self._generation += 1
        elif kind == b"pong":
            sent = pending.pop(reply[1], None)
            if sent is not None:
                with self._lock:
                    self._fresh_as_of = max(self._fresh_as_of, sent)


def settle(lease_seconds: float, sleep: Callable[[float], None] = time.sleep) -> None:
    """Wait until no process can serve a copy older than a write Redis just acknowledged."""
    sleep(lease_seconds + SETTLE_MARGIN_SECONDS)


def forget_after_fork(reset: Callable[[], None]) -> None:
    """Run `reset` in a forked child: the listener thread does not survive a fork."""
    os.register_at_fork(after_in_child=reset)


# Copies built by earlier settings (tests change them), stopped when the next one is built.
_running: dict[tuple[str, str], LocalCopy] = {}


@process_wide("CACHE_HOT_LOCAL_COPY", "CACHE_HOT_LOCAL_LEASE_SECONDS", "CACHE_HOT_LOCAL_ENTRIES", "CACHES")
def local_copy(alias: str, prefix: str = "") -> LocalCopy | None:
    """Return this process's copy of the values of cache `alias` whose names start with `prefix`,
    or None when CACHE_HOT_LOCAL_COPY is off."""
    previous = _running.pop((alias, prefix), None)
    if previous is not None:
        previous.stop()
    if not settings.CACHE_HOT_LOCAL_COPY:
        return None
    copy = tracking_copy(alias, prefix, maxsize=settings.CACHE_HOT_LOCAL_ENTRIES)
    _running[(alias, prefix)] = copy
    return copy


forget_after_fork(local_copy.cache_clear)


def tracking_copy(alias: str, prefix: str, *, maxsize: int) -> LocalCopy:
    """Start a copy of cache `alias`'s values under `prefix`, on a tracking connection of its own."""
    pool = client(alias).connection_pool
    # Its own connection, outside the pool: subscribed, RESP2, no health-check PINGs of redis-py's.
    options = {**pool.connection_kwargs, "protocol": 2, "health_check_interval": 0}
    return LocalCopy(
        connect=lambda: pool.connection_class(**options),
        prefix=caches[alias].make_key(prefix),
        lease_seconds=settings.CACHE_HOT_LOCAL_LEASE_SECONDS,
        maxsize=maxsize,
    )


def values_through(copy: LocalCopy | None, alias: str, names: list[str]) -> dict[str, Any]:
    """Return the values cache `alias` holds for `names` (as `get_many` does): from `copy` what it
    may serve, the rest in one round trip, kept in `copy`; raise RedisUnavailable."""
    cache = caches[alias]
    if copy is None:
        return guarded(alias, cache.get_many, names)
    raws: dict[str, bytes] = {}
    unread: dict[str, str] = {}  # Redis key -> name
    for name in names:
        key = cache.make_key(name)
        raw = copy.get(key)
        if raw is None:
            unread[key] = name
        else:
            raws[name] = raw
    if unread:
        ticket, started = copy.ticket(), copy.clock()
        replies = guarded(alias, _values_and_ttls, alias, list(unread))
        for (key, name), (raw, ttl_ms) in zip(unread.items(), replies, strict=True):
            if raw is not None:
                copy.put(key, raw, ttl_ms, ticket=ticket, read_started=started)
                raws[name] = raw
    return {name: cache.client.decode(raw) for name, raw in raws.items()}


def _values_and_ttls(alias: str, keys: list[str]) -> list[tuple[bytes | None, int]]:
    pipeline = client(alias).pipeline(transaction=False)
    for key in keys:
        pipeline.get(key).pttl(key)
    replies = pipeline.execute()
    return list(zip(replies[::2], replies[1::2], strict=True))
