"""Give the test run a Redis before Django starts: TEST_REDIS_URL, else localhost:6379, else an embedded one.

Loaded with `-p devstack.pytest_plugin` (pyproject's addopts), so its hook runs before
pytest-django imports the test settings; xdist workers inherit TEST_REDIS_URL from the
controlling process and reuse the same server.
"""

import atexit
import os

import pytest

from devstack.redis_server import RedisServer, answers


def ensure_test_redis() -> str:
    """Return the base URL (no database number) of the Redis the tests use, starting one if needed."""
    if "TEST_REDIS_URL" not in os.environ:
        if answers(6379):
            os.environ["TEST_REDIS_URL"] = "redis://127.0.0.1:6379"
        else:
            server = RedisServer().start()
            atexit.register(server.stop)
            os.environ["TEST_REDIS_URL"] = server.url
    return os.environ["TEST_REDIS_URL"].rstrip("/")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    ensure_test_redis()
