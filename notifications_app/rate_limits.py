"""Sending limits kept in the non-evictable Redis: the provider's global rate, a per-recipient
cap, and each service token's daily send quota."""

import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from vividly.process_state import process_wide
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

KEY_PREFIX = "vividly:limits"


@process_wide("CACHES")
def limiter() -> MovingWindowRateLimiter:
    """Return a moving-window limiter on the "state" Redis.

    A moving window is exact (never more than N in any 60 s), unlike a fixed window that
    lets 2N through around a boundary; its cost is a list of at most N timestamps per key.
    It reuses the cache's connection pool, hence its short timeouts and no retries.
    """
    storage = RedisStorage("redis://", connection_pool=client("state").connection_pool, key_prefix=KEY_PREFIX)
    return MovingWindowRateLimiter(storage)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # Seconds until a slot frees up (0 when allowed).
    retry_after: float = 0.0


def take(item: RateLimitItem, *identifiers: str) -> Verdict:
    """Take one slot of `item` for `identifiers`; fail open when Redis is unreachable."""
    rate_limiter = limiter()
    try:
        if guarded("state", rate_limiter.hit, item, *identifiers):
            return Verdict(True)
        reset_time, _ = guarded("state", rate_limiter.get_window_stats, item, *identifiers)
    except RedisUnavailable as exc:
        # The contract: a Redis outage fails open. Sending on is better than holding
        # every email until Redis is back; the provider's own limit still protects it.
        logger.warning("rate limit %s skipped, redis unavailable: %s", item, exc)
        return Verdict(True)
    return Verdict(False, max(0.0, reset_time - time.time()))


def send_slot_take() -> Verdict:
    """Take a slot of the global sending rate (EMAIL_RATE_LIMIT_PER_MINUTE)."""
    return take(RateLimitItemPerMinute(settings.EMAIL_RATE_LIMIT_PER_MINUTE), "email", "global")


def send_slots_take(count: int) -> tuple[int, float]:
    """Take up to `count` slots of the global sending rate; return how many were granted, and
    the seconds until the next one frees up when not all were (one round trip when all are)."""
    if count <= 0:
        return 0, 0.0
    item = RateLimitItemPerMinute(settings.EMAIL_RATE_LIMIT_PER_MINUTE)
    rate_limiter = limiter()
    try:
        if guarded("state", rate_limiter.hit, item, "email", "global", cost=count):
            return count, 0.0
    except RedisUnavailable as exc:
        logger.warning("rate limit %s skipped, redis unavailable: %s", item, exc)
        return count, 0.0
    # Not all at once: one by one until the window is full (the rest wait for it to move).
    for granted in range(count):
        verdict = send_slot_take()
        if not verdict.allowed:
            return granted, verdict.retry_after
    return count, 0.0


def recipient_slot_take(*, address: str, template: str) -> Verdict:
    """Take a slot of the per-recipient cap: `template` to `address`, per hour."""
    return take(
        RateLimitItemPerHour(settings.EMAIL_RECIPIENT_LIMIT_PER_HOUR), "email", "recipient", template, address.lower()
    )


def whole_seconds(seconds: float) -> int:
    """Return a Retry-After value: whole seconds, at least 1."""
    return max(1, math.ceil(seconds))


QUOTA_KEY_PREFIX = "vividly:quota:send"


@dataclass(frozen=True)
class SendQuota:
    """A caller's daily allowance of accepted emails (one service token's `send_quota`)."""

    token_id: int
    per_day: int


def seconds_to_utc_midnight(now: datetime) -> float:
    """Return the seconds left in `now`'s UTC day: when a daily quota starts over."""
    now = now.astimezone(UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    return (midnight - now).total_seconds()


def send_quota_take(*, quota: SendQuota, count: int, now: datetime) -> Verdict:
    """Take `count` sends of today's (UTC) quota, all or none; fail open when Redis is unreachable.

    A fixed window per UTC day, as the quota is promised: one counter per token and day,
    kept two days so a clock a little off still finds it.
    """
    key = f"{QUOTA_KEY_PREFIX}:{quota.token_id}:{now.astimezone(UTC):%Y%m%d}"
    redis = client("state")

    def incr() -> int:
        with redis.pipeline() as pipeline:
            pipeline.incrby(key, count).expire(key, 2 * 24 * 3600)
            return pipeline.execute()[0]

    try:
        used = guarded("state", incr)
        if used <= quota.per_day:
            return Verdict(True)
        guarded("state", redis.decrby, key, count)  # refused: the caller keeps what it had left
    except RedisUnavailable as exc:
        logger.warning("send quota of token %s skipped, redis unavailable: %s", quota.token_id, exc)
        return Verdict(True)
    return Verdict(False, seconds_to_utc_midnight(now))
