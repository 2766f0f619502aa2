"""DRF throttles kept in the non-evictable Redis, failing open when it is unreachable."""

import logging
from typing import Any

from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

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
    cache = caches["state"]


class LoginThrottle(FailOpenMixin, AnonRateThrottle):
    """Per client address, against password guessing on the token endpoint."""

    scope = "login"
    cache = caches["state"]
