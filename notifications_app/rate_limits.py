"""Sending limits kept in the non-evictable Redis: the provider's global rate and a per-recipient cap."""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis import ConnectionPool

from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.notifications")

KEY_PREFIX = "vividly:limits"

# One limiter per connection pool of the "state" cache (a test may swap the cache).
_limiter: tuple[ConnectionPool, MovingWindowRateLimiter] | None = None


def limiter() -> MovingWindowRateLimiter:
    """Return a moving-window limiter on the "state" Redis.

    A moving window is exact (never more than N in any 60 s), unlike a fixed window that
    lets 2N through around a boundary; its cost is a list of at most N timestamps per key.
    It reuses the cache's connection pool, hence its short timeouts and no retries.
    """
    global _limiter
    pool = client("state").connection_pool
    if _limiter is None or _limiter[0] is not pool:
        storage = RedisStorage("redis://", connection_pool=pool, key_prefix=KEY_PREFIX)
        _limiter = (pool, MovingWindowRateLimiter(storage))
    return _limiter[1]


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


def recipient_slot_take(*, address: str, template: str) -> Verdict:
    """Take a slot of the per-recipient cap: `template` to `address`, per hour."""
    return take(
        RateLimitItemPerHour(settings.EMAIL_RECIPIENT_LIMIT_PER_HOUR), "email", "recipient", template, address.lower()
    )


def whole_seconds(seconds: float) -> int:
    """Return a Retry-After value: whole seconds, at least 1."""
    return max(1, math.ceil(seconds))
