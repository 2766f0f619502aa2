"""Throttles kept in the non-evictable Redis, keyed on who the caller really is.

The per-user API throttle fails open when Redis is unreachable (the contract); the login
throttle fails closed, since an open login limiter is an open door for password guessing.
Anonymous callers are keyed on the client address from TRUSTED_PROXY_COUNT, never on a
header the client writes.
"""

import logging
import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from limits import RateLimitItemPerSecond
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from vividly.accounts.login_limits import state_rate_limiter
from vividly.api.client_address import client_key
from vividly.errors import DependencyUnavailable
from vividly.redis_guard import RedisUnavailable, guarded

logger = logging.getLogger("vividly.api")


class UserThrottle(BaseThrottle):
    """API_USER_RATE per user (per address for anonymous callers); the default of every /api/ view.

    A moving window in one Lua call per request (DRF's own throttle reads and rewrites the
    whole history list, two round trips and up to 600 timestamps each time).
    """

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        ident = f"user:{user.username}" if user and user.is_authenticated else f"address:{client_key(request)}"
        # DRF's own reading of "600/min" (its parse_rate uses nothing of the instance).
        amount, seconds = SimpleRateThrottle.parse_rate(self, settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"])
        item = RateLimitItemPerSecond(amount, seconds)
        limiter = state_rate_limiter()
        try:
            if guarded("state", limiter.hit, item, "api", ident):
                return True
            reset_at = guarded("state", limiter.get_window_stats, item, "api", ident).reset_time
        except RedisUnavailable as exc:
            logger.warning("throttle skipped, redis unavailable: %s", exc)
            return True
        self.retry_after = max(1, math.ceil(reset_at - time.time()))
        return False

    def wait(self) -> float | None:
        return self.retry_after


class LoginThrottle(SimpleRateThrottle):
    """Login requests per client address (API_LOGIN_THROTTLE_RATE); 503 when Redis is down."""

    scope = "login"

    @property
    def cache(self) -> Any:
        return caches["state"]

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_key(request)}

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return guarded("state", super().allow_request, request, view)
        except RedisUnavailable as exc:
            logger.error("login refused, its limiter's redis is unavailable: %s", exc)
            raise DependencyUnavailable("Logging in is unavailable for a moment; try again shortly.") from exc
