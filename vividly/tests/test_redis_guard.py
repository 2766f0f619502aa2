"""The Redis guard: an unreachable or full Redis is an outage that callers fail open on."""

import pytest
import redis

from vividly.process_state import revocation_announce
from vividly.redis_guard import RedisUnavailable, breaker, client, guarded
from vividly.tests.support import private_state_redis


@pytest.fixture
def full_state_redis(settings):
    """Point the state alias at a Redis that holds more than its maxmemory, with noeviction."""
    with private_state_redis(settings, "--maxmemory-policy", "noeviction") as full:
        for n in range(32):
            full.set(f"filler:{n}", b"x" * 64 * 1024)
        full.config_set("maxmemory", "1mb")  # below what it holds: every write is refused
        yield full


def test_a_full_redis_is_an_outage_and_opens_the_breaker(full_state_redis):
    with pytest.raises(RedisUnavailable):
        guarded("state", client("state").incr, "counter")
    assert breaker("state").current_state == "open"
    with pytest.raises(RedisUnavailable, match=r"circuit open|OOM|maxmemory"):
        guarded("state", client("state").get, "counter")


def test_a_revocation_on_a_full_redis_fails_open_and_is_logged(full_state_redis, caplog):
    revocation_announce()  # raised OutOfMemoryError before: a logout would have been a 500
    assert "could not announce a revocation" in caplog.text


def test_a_command_error_is_not_an_outage(settings):
    client("state").set("text", "abc")
    with pytest.raises(redis.exceptions.ResponseError):
        guarded("state", client("state").incr, "text")
    assert breaker("state").current_state == "closed"
