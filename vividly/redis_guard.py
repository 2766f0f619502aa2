"""Reach a Redis through a per-process circuit breaker, so an outage costs one timeout."""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import pybreaker
import redis.exceptions
from django.conf import settings
from django_redis import get_redis_connection
from django_redis.exceptions import ConnectionInterrupted
from redis import Redis

from vividly.observability.metrics import REDIS_ERRORS
from vividly.process_state import process_wide

logger = logging.getLogger("vividly.redis")

T = TypeVar("T")

# What says "this Redis is unreachable, too slow or full" (a command error says nothing of
# it). A full Redis (noeviction at maxmemory: "OOM command not allowed") refuses every
# write until memory is freed, so it is an outage too: callers fail open as for a dead one.
OUTAGE_ERRORS = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    ConnectionInterrupted,
)


class RedisUnavailable(Exception):
    """The Redis behind a cache alias is down, slow, or skipped by its open breaker."""

    def __init__(self, alias: str, cause: BaseException | None = None) -> None:
        self.alias = alias
        super().__init__(f"redis for {alias!r} unavailable: {cause or 'circuit open'}")


@process_wide("REDIS_BREAKER_RESET_SECONDS", "CACHES")
def breaker(alias: str) -> pybreaker.CircuitBreaker:
    """Return the breaker for a cache alias ("hot", "default", "state")."""
    return pybreaker.CircuitBreaker(
        fail_max=1,
        reset_timeout=settings.REDIS_BREAKER_RESET_SECONDS,
        # Only an outage opens the breaker, not a command error.
        exclude=[lambda exc: not isinstance(exc, OUTAGE_ERRORS)],
        name=f"redis:{alias}",
    )


def reset_breakers() -> None:
    """Forget every breaker; the next call builds a closed one from the current settings."""
    breaker.cache_clear()


def guarded(alias: str, operation: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `operation` against the Redis of `alias`; raise RedisUnavailable on an outage."""
    try:
        return breaker(alias).call(operation, *args, **kwargs)
    except pybreaker.CircuitBreakerError as exc:
        REDIS_ERRORS.labels(alias).inc()
        raise RedisUnavailable(alias, exc.__cause__ or exc.__context__) from exc
    except OUTAGE_ERRORS as exc:
        REDIS_ERRORS.labels(alias).inc()
        raise RedisUnavailable(alias, exc) from exc


def client(alias: str) -> Redis:
    """Return the raw redis-py client behind a django-redis cache alias."""
    return get_redis_connection(alias)
