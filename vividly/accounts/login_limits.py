"""Failed logins counted per username and per client address, in the non-evictable Redis.

A username's failures count whatever address, `X-Forwarded-For` or other account's
credentials the request carries, so rotating them buys no fresh guesses. The limiter fails
closed: when its Redis cannot be reached, logging in answers 503 rather than letting
unlimited guesses through.
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from vividly.errors import DependencyUnavailable, RateLimited
from vividly.process_state import process_wide
from vividly.redis_guard import RedisUnavailable, client, guarded

logger = logging.getLogger("vividly.accounts.login")

KEY_PREFIX = "vividly:limits"


class TooManyLoginAttempts(RateLimited):
    code = "too_many_login_attempts"
    default_message = "Too many failed logins; try again later."


@process_wide("CACHES")
def state_rate_limiter() -> MovingWindowRateLimiter:
    """Return a moving-window limiter on the "state" Redis (exact: never N+1 in a window).

    It reuses the cache's connection pool, hence its short timeouts and no retries; each
    hit is one Lua call, one round trip.
    """
    return MovingWindowRateLimiter(
        RedisStorage("redis://", connection_pool=client("state").connection_pool, key_prefix=KEY_PREFIX)
    )


def username_identifier(username: str) -> str:
    """Return how a username is named in the failure limits' keys (its case-folded SHA-256)."""
    # Hashed: arbitrary client text never becomes a Redis key.
    return hashlib.sha256(username.casefold().encode("utf-8", "surrogatepass")).hexdigest()


def _limits(*, username: str, address: str) -> list[tuple[RateLimitItem, str, str]]:
    window = settings.LOGIN_WINDOW_SECONDS
    name = username_identifier(username)
    return [
        (RateLimitItemPerSecond(settings.LOGIN_ATTEMPTS_PER_USERNAME, window), "username", name),
        (RateLimitItemPerSecond(settings.LOGIN_ATTEMPTS_PER_ADDRESS, window), "address", address),
    ]


def login_attempt_allow(*, username: str, address: str) -> None:
    """Raise TooManyLoginAttempts (429) while `username` or `address` is over its failure limit."""
    limiter = state_rate_limiter()
    try:
        for item, kind, identifier in _limits(username=username, address=address):
            if not guarded("state", limiter.test, item, kind, identifier):
                reset_at = guarded("state", limiter.get_window_stats, item, kind, identifier).reset_time
                logger.warning(
                    "login refused: too many failures for %s (username %r, address %s)", kind, username, address
                )
                raise TooManyLoginAttempts(retry_after=max(1, math.ceil(reset_at - time.time())))
    except RedisUnavailable as exc:
        logger.error("login refused, its limiter's redis is unavailable: %s", exc)
        raise DependencyUnavailable("Logging in is unavailable for a moment; try again shortly.") from exc


def login_failure_record(*, username: str, address: str) -> None:
    """Count one failed login against `username` and `address`, and log it."""
    logger.warning("failed login for username %r from %s", username, address)
    limiter = state_rate_limiter()
    try:
        for item, kind, identifier in _limits(username=username, address=address):
            guarded("state", limiter.hit, item, kind, identifier)
    except RedisUnavailable as exc:
        # The next attempt is refused by login_attempt_allow (fail closed) until Redis is back.
        logger.error("failed login not counted, redis unavailable: %s", exc)
