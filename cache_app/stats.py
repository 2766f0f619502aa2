"""Cache statistics shared by every process: counters, recent latencies, popularity (in Redis).

A lookup only adds to this process's in-memory buffer: a Redis round trip would cost more
than the rest of a hot hit. A daemon thread sends the buffer in one pipeline every
FLUSH_SECONDS. A stats read must still count every lookup that finished before it began,
in every process, so it asks them all: it publishes a flush request on a Redis pub/sub
channel, and PUBLISH answers how many listeners received it. Each process that has
recorded anything runs a listener thread (subscribed before its first lookup returns),
which flushes its buffer and then pushes an acknowledgement onto the request's list; the
reader waits for that many acknowledgements, at most FLUSH_WAIT_SECONDS, and then reads
the counters. A process that does not answer in time (stopped, overloaded) is logged and
reported in the answer's `processes` field; its counts arrive with its next flush.

Popularity (which keys `warm_cache` loads first) lives in the non-evictable Redis, so it
counts hits only (a lookup of a made-up key adds nothing) and is trimmed to the
POPULARITY_MAX most requested keys at every flush.
"""

import atexit
import logging
import os
import threading
import time
import uuid
from collections import Counter
from typing import Any

from django.conf import settings
from django.utils import timezone
from redis import Redis
from redis.exceptions import RedisError

from vividly.errors import DependencyUnavailable
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("cache_app")

ALIAS = "state"  # never evicted: counters must survive memory pressure
COUNTERS_KEY = "vividly:cache:stats"
LATENCY_KEY = "vividly:cache:latency:{tier}"
POPULARITY_KEY = "vividly:cache:popularity"
POPULARITY_MAX = 10_000
# Pub/sub channels are shared by every database of a Redis: the channel names the database.
FLUSH_CHANNEL = "vividly:cache:stats:flush:{db}"
ACK_KEY = "vividly:cache:stats:ack:{request}"
LATENCY_WINDOW = 1000  # the most recent samples per tier
COUNTERS = ("hot_hits", "cold_hits", "misses", "stores", "invalidations", "hot_errors", "cold_errors")
TIERS = ("hot", "cold")
FLUSH_SECONDS = 0.5
FLUSH_WAIT_SECONDS = 1.0  # how long a stats read waits for the other processes
SUBSCRIBE_WAIT_SECONDS = 1.0  # how long a process's first lookup waits for its listener
RESUBSCRIBE_SECONDS = 0.5


class StatsUnavailable(DependencyUnavailable):
    code = "stats_unavailable"
    default_message = "Cache statistics live in Redis, which is unreachable; try again shortly."


class Buffer:
    """Counts gathered in this process, sent to Redis by a flusher thread and on request.

    Besides the flusher, a listener thread answers other processes' stats reads (see the
    module docstring); both start with the first count of each process (after a fork too).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Held for a whole flush, so that whoever flushes knows nothing is still in flight.
        self.flush_lock = threading.Lock()
        self.start_lock = threading.Lock()
        self.pid = 0
        self.listening = threading.Event()
        self.reset_local()

    def reset_local(self) -> None:
        self.counts: Counter[str] = Counter()
        self.latencies: dict[str, list[float]] = {tier: [] for tier in TIERS}
        self.popularity: Counter[str] = Counter()

    def add(self, counts: dict[str, int], latencies_ms: dict[str, float], requested_key: str | None) -> None:
        if self.pid != os.getpid():
            self.start_threads()
        with self.lock:
            self.counts.update(counts)
            for tier, value in latencies_ms.items():
                samples = self.latencies[tier]
                samples.append(round(value, 3))
                if len(samples) > LATENCY_WINDOW:
                    del samples[: len(samples) - LATENCY_WINDOW]
            if requested_key:
                self.popularity[requested_key] += 1

    def start_threads(self) -> None:
        """Start this process's flusher and listener; wait (once) until the listener is subscribed."""
        with self.start_lock:
            if self.pid == os.getpid():
                return
            if self.pid:
                # A forked child has the buffer but not the threads (nor the parent's counts).
                with self.lock:
                    self.reset_local()
            self.listening = threading.Event()
            threading.Thread(target=self.flush_forever, name="cache-stats-flush", daemon=True).start()
            threading.Thread(target=self.listen_forever, name="cache-stats-listen", daemon=True).start()
            self.pid = os.getpid()
        # A stats read published before the subscription would not count this lookup.
        self.listening.wait(SUBSCRIBE_WAIT_SECONDS)

    def flush_forever(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            self.flush()

    def listen_forever(self) -> None:
        """Flush and acknowledge whenever a stats read asks; resubscribe after a Redis failure."""
        listening, failures = self.listening, 0
        while True:
            pubsub = own_client().pubsub()
            try:
                pubsub.subscribe(flush_channel())
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        listening.set()
                        failures = 0
                    elif message["type"] == "message":
                        self.answer(message["data"].decode())
            except Exception as exc:  # noqa: BLE001 - the listener must outlive any Redis failure
                logger.warning("cache statistics listener resubscribing: %s", exc)
            # Close every connection first: redis-py may have reconnected (and resubscribed)
            # before raising, and a subscription nobody reads would hold up every stats read.
            pubsub.close()
            pubsub.connection_pool.disconnect()
            listening.set()  # lookups must not wait while Redis is out
            failures += 1
            if failures > 1:  # at once after a dropped connection, then not in a busy loop
                time.sleep(RESUBSCRIBE_SECONDS)

    def answer(self, request: str) -> None:
        """Flush this process's counts for a stats read, then tell the reader it is done."""
        self.flush()
        pipe = client(ALIAS).pipeline(transaction=False)
        pipe.rpush(ACK_KEY.format(request=request), os.getpid())
        pipe.expire(ACK_KEY.format(request=request), 10)
        guarded(ALIAS, pipe.execute)

    def flush(self) -> bool:
        """Send what this process gathered; when Redis refuses it, keep it for the next try."""
        with self.flush_lock:
            return self.flush_locked()

    def discard(self) -> None:
        """Drop what this process gathered and not yet sent (tests start from zero)."""
        with self.flush_lock, self.lock:
            self.reset_local()

    def flush_locked(self) -> bool:
        with self.lock:
            counts, latencies, popularity = self.counts, self.latencies, self.popularity
            self.reset_local()
        if not counts and not popularity and not any(latencies.values()):
            return True
        pipe = client(ALIAS).pipeline(transaction=False)
        for name, amount in counts.items():
            pipe.hincrby(COUNTERS_KEY, name, amount)
        for tier, values in latencies.items():
            if values:
                key = LATENCY_KEY.format(tier=tier)
                pipe.lpush(key, *values)
                pipe.ltrim(key, 0, LATENCY_WINDOW - 1)
        if popularity:
            for cache_key, amount in popularity.items():
                pipe.zincrby(POPULARITY_KEY, amount, cache_key)
            # Keep the POPULARITY_MAX most requested: this Redis is never evicted.
            pipe.zremrangebyrank(POPULARITY_KEY, 0, -POPULARITY_MAX - 1)
        try:
            guarded(ALIAS, pipe.execute)
        except Exception as exc:  # noqa: BLE001 - an outage, or a full Redis refusing writes (OOM)
            logger.warning("cache statistics kept in memory, redis refused them: %s", exc)
            with self.lock:
                self.counts.update(counts)
                self.popularity.update(popularity)
                for tier, values in latencies.items():
                    self.latencies[tier] = (values + self.latencies[tier])[-LATENCY_WINDOW:]
            return False
        return True


buffer = Buffer()
atexit.register(buffer.flush)


def record(
    *, counts: dict[str, int], latencies_ms: dict[str, float] | None = None, requested_key: str | None = None
) -> None:
    """Count an outcome (and its latencies); it reaches Redis with the next flush."""
    buffer.add(counts, latencies_ms or {}, requested_key)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Return the nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def own_client() -> Redis:
    """Return a client of the state Redis with a pool of its own, for the listener's long-lived
    connection: the shared pool may be disconnected under it (and its socket reused)."""
    shared = client(ALIAS).connection_pool
    return Redis(connection_pool=type(shared)(connection_class=shared.connection_class, **shared.connection_kwargs))


def flush_channel() -> str:
    return FLUSH_CHANNEL.format(db=client(ALIAS).connection_pool.connection_kwargs.get("db", 0))


def flush_everywhere() -> dict[str, int]:
    """Have every process flush its counts; return how many were asked and how many answered.

    Raises StatsUnavailable when the state Redis cannot be reached.
    """
    buffer.flush()
    redis = client(ALIAS)
    request = uuid.uuid4().hex
    ack_key = ACK_KEY.format(request=request)
    # Each wait stays under the socket timeout: a slow answer must not look like an outage.
    step = max(0.01, settings.REDIS_SOCKET_TIMEOUT / 2)
    try:
        asked = guarded(ALIAS, redis.publish, flush_channel(), request)
        answered = 0
        deadline = time.monotonic() + FLUSH_WAIT_SECONDS
        while answered < asked and (remaining := deadline - time.monotonic()) > 0:
            # Not through the breaker: pybreaker holds a per-alias lock for the whole call, so a
            # blocking wait there would keep this very process's listener from acknowledging.
            if redis.blpop([ack_key], timeout=min(step, remaining)) is not None:
                answered += 1
        guarded(ALIAS, redis.delete, ack_key)
    except (RedisUnavailable, RedisError) as exc:
        raise StatsUnavailable() from exc
    if answered < asked:
        logger.warning("cache statistics: %d of %d processes did not flush in time", asked - answered, asked)
    return {"asked": asked, "answered": answered}


def snapshot() -> dict[str, Any]:
    """Return the counters (every lookup finished before the call included), hit rate and latencies."""
    processes = flush_everywhere()
    redis = client(ALIAS)
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(COUNTERS_KEY)
    for tier in TIERS:
        pipe.lrange(LATENCY_KEY.format(tier=tier), 0, -1)
    try:
        raw_counters, *raw_latencies = guarded(ALIAS, pipe.execute)
    except RedisUnavailable as exc:
        raise StatsUnavailable() from exc
    decoded = {key.decode(): value.decode() for key, value in raw_counters.items()}
    counters = {name: int(decoded.get(name, 0)) for name in COUNTERS}
    lookups = counters["hot_hits"] + counters["cold_hits"] + counters["misses"]
    hits = counters["hot_hits"] + counters["cold_hits"]
    latency = {}
    for tier, samples in zip(TIERS, raw_latencies, strict=True):
        values = sorted(float(sample) for sample in samples)
        latency[tier] = {
            "samples": len(values),
            "p50_ms": percentile(values, 0.50),
            "p95_ms": percentile(values, 0.95),
        }
    return {
        **counters,
        "lookups": lookups,
        "hit_rate": hits / lookups if lookups else 0.0,
        "latency": latency,
        "since": decoded.get("since"),
        "processes": processes,
    }


def reset() -> None:
    """Zero every counter and latency window (popularity is kept: warming needs it)."""
    flush_everywhere()  # what was counted before the reset must not land after it
    pipe = client(ALIAS).pipeline(transaction=True)
    pipe.delete(COUNTERS_KEY, *(LATENCY_KEY.format(tier=tier) for tier in TIERS))
    pipe.hset(COUNTERS_KEY, "since", timezone.now().isoformat())
    try:
        guarded(ALIAS, pipe.execute)
    except RedisUnavailable as exc:
        raise StatsUnavailable() from exc


def most_requested(limit: int) -> list[str]:
    """Return up to `limit` cache keys, most looked-up first; [] when Redis is out."""
    buffer.flush()
    try:
        raw = guarded(ALIAS, client(ALIAS).zrevrange, POPULARITY_KEY, 0, limit - 1)
    except RedisUnavailable:
        return []
    return [key.decode() for key in raw]


def forget(cache_keys: list[str]) -> None:
    """Drop keys from the popularity ranking (they were invalidated)."""
    buffer.flush()
    if cache_keys:
        try:
            guarded(ALIAS, client(ALIAS).zrem, POPULARITY_KEY, *cache_keys)
        except RedisUnavailable:
            pass


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
