"""DRF throttles kept in the non-evictable Redis.

The per-user API throttle fails open when Redis is unreachable (the contract); the login
throttle fails closed, since an open login limiter is an open door for password guessing.
Both key on the client address from TRUSTED_PROXY_COUNT, never on a header the client writes.
"""

import logging
from typing import Any

from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from vividly.api.client_address import client_address
from vividly.errors import DependencyUnavailable
from vividly.redis_guard import RedisUnavailable, guarded

logger = logging.getLogger("vividly.api")


class FailOpenMixin:
    """Allow the request when the throttle's Redis cannot be reached (contract: fail open)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return guarded("state", super().allow_request, request, view)  # type: ignore[misc]
        except RedisUnavailable as exc:
            logger.warning("throttle skipped, redis unavailable: %s", exc)
            return True


class UserThrottle(FailOpenMixin, UserRateThrottle):
    """API_USER_RATE per user: the default throttle of every public API view."""

    cache = caches["state"]

    def get_ident(self, request: Request) -> str:
        return client_address(request)


class LoginThrottle(SimpleRateThrottle):
    """Login requests per client address (API_LOGIN_THROTTLE_RATE); 503 when Redis is down."""

    scope = "login"
    cache = caches["state"]

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return guarded("state", super().allow_request, request, view)
        except RedisUnavailable as exc:
            logger.error("login refused, its limiter's redis is unavailable: %s", exc)
            raise DependencyUnavailable("Logging in is unavailable for a moment; try again shortly.") from exc
