"""Test support for the core: a private Redis behind the state alias, configured as a test needs."""

from collections.abc import Iterator
from contextlib import contextmanager

import redis

from devstack.redis_server import RedisServer
from vividly.settings.base import redis_cache


@contextmanager
def private_state_redis(settings, *server_args: str) -> Iterator[redis.Redis]:
    """Start a Redis with `server_args`, point the state alias at it, and yield a client to it."""
    server = RedisServer(*server_args).start()
    try:
        settings.CACHES = {**settings.CACHES, "state": redis_cache(f"{server.url}/0", prefix="x", timeout=None)}
        yield redis.Redis.from_url(server.url)
    finally:
        server.stop()
