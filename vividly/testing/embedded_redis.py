"""Give the test run a Redis: TEST_REDIS_URL, else localhost:6379, else an embedded one.

Called from the test settings, so it runs before anything connects; xdist workers
inherit TEST_REDIS_URL from the controlling process and reuse the same server.
"""

import atexit
import os

from vividly.testing.redis_server import RedisServer, answers


def test_redis_url() -> str:
    """Return the base URL (no database number) of the Redis the tests use."""
    if "TEST_REDIS_URL" not in os.environ:
        if answers(6379):
            os.environ["TEST_REDIS_URL"] = "redis://127.0.0.1:6379"
        else:
            server = RedisServer().start()
            atexit.register(server.stop)
            os.environ["TEST_REDIS_URL"] = server.url
    return os.environ["TEST_REDIS_URL"].rstrip("/")
