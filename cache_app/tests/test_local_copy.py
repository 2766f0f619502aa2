"""The hot tier's local copy: hits without Redis, and never an old document once a write returned.

A second `LocalCopy` on its own tracking connection stands for another gunicorn process; the
cluster suite checks the same across real instances (tests/cluster/test_cache_across_instances.py).
"""

import os
import time

import pytest
import redis

from cache_app import services
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import hot_tier
from devstack.redis_server import RedisServer
from vividly import local_copy as copies
from vividly.local_copy import LocalCopy, local_copy, settle
from vividly.redis_guard import RedisUnavailable, client, reset_breakers
from vividly.settings.base import redis_cache
from vividly.tests.local_copies import another_process

pytestmark = pytest.mark.django_db


def until(condition, timeout: float = 5.0) -> bool:
    """Wait for `condition` (polled), for what happens on a listener thread."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def copies_on(settings):
    settings.CACHE_HOT_LOCAL_COPY = True
    settings.CACHE_HOT_LOCAL_LEASE_SECONDS = 0.05
    own = local_copy("hot")
    assert own.wait_fresh(5)
    others: list[LocalCopy] = []

    def make() -> LocalCopy:
        others.append(another_process("hot"))
        return others[-1]

    yield make
    for copy in [own, *others]:
        copy.stop()


@pytest.fixture
def redis_reads(monkeypatch) -> list[list[str]]:
    """The keys each read of Redis for a copy's misses asked for (a spy: the reads still happen)."""
    reads: list[list[str]] = []
    real = copies._values_and_ttls

    def counted(alias: str, keys: list[str]) -> list:
        reads.append(keys)
        return real(alias, keys)

    monkeypatch.setattr(copies, "_values_and_ttls", counted)
    return reads


def commands_run(name: str) -> int:
    stats = client("hot").info("commandstats")
    return stats.get(f"cmdstat_{name}", {}).get("calls", 0)


def stored(title: str, fields: dict) -> str:
    return services.cache_entry_store(**fields, metadata=metadata(title=title)).cache_key


def title_through(copy: LocalCopy, cache_key: str, read: str = "get") -> str | None:
    """The title `copy`'s process reads for `cache_key`, one key at a time or as part of several."""
    if read == "get":
        document = hot_tier.get_through(copy, cache_key)
    else:
        document = hot_tier.get_many_through(copy, ["absent-" + cache_key, cache_key]).get(cache_key)
    return None if document is None else document["metadata"]["title"]


READS = pytest.mark.parametrize("read", ["get", "get_many"])


def test_a_hit_is_answered_from_the_copy_without_asking_redis(copies_on, redis_reads):
    fields = triple()
    cache_key = stored("first", fields)
    assert hot_tier.get(cache_key)["metadata"]["title"] == "first"  # fills the copy
    redis_reads.clear()
    answers = [services.cache_entry_fetch(cache_key=cache_key) for _ in range(20)]
    assert {(a.hit, a.tier, a.document["metadata"]["title"]) for a in answers} == {(True, "hot", "first")}
    assert redis_reads == []


def test_several_are_read_from_the_copy_and_only_the_rest_from_redis(copies_on, redis_reads):
    copied, uncopied = stored("copied", triple()), stored("uncopied", triple())
    hot_tier.get(copied)
    redis_reads.clear()
    found = hot_tier.get_many([copied, uncopied, "never-stored"])
    assert {key: document["metadata"]["title"] for key, document in found.items()} == {
        copied: "copied",
        uncopied: "uncopied",
    }
    make_key = hot_tier.cache.make_key
    # The two it had no copy of, in one pipeline.
    assert redis_reads == [[make_key(uncopied), make_key("never-stored")]]
    assert set(hot_tier.get_many([copied, uncopied])) == {copied, uncopied}
    assert len(redis_reads) == 1


def test_each_hit_is_a_fresh_document_a_caller_may_change(copies_on):
    cache_key = stored("first", triple())
    hot_tier.get(cache_key)["metadata"]["title"] = "changed by a caller"
    assert hot_tier.get(cache_key)["metadata"]["title"] == "first"


@READS
def test_a_store_is_never_answered_old_by_another_process_once_it_returned(copies_on, read):
    other = copies_on()
    fields = triple()
    for version in range(25):
        cache_key = stored(f"v{version}", fields)
        # Right after the store returned, and again once the other process has copied it.
        assert title_through(other, cache_key, read) == f"v{version}"
        assert title_through(other, cache_key, read) == f"v{version}"


@READS
def test_an_invalidation_is_never_answered_by_another_process_once_it_returned(copies_on, read):
    other = copies_on()
    for round_ in range(10):
        fields = triple()
        cache_key = stored(f"r{round_}", fields)
        assert title_through(other, cache_key, read) == f"r{round_}"
        assert services.cache_entries_invalidate(cache_keys=[cache_key]) == [cache_key]
        assert title_through(other, cache_key, read) is None
        assert services.cache_entry_fetch(cache_key=cache_key).hit is False


def test_a_copy_expires_no_later_than_its_key(copies_on):
    other = copies_on()
    cache_key = stored("short-lived", triple())
    key = hot_tier.cache.make_key(cache_key)
    client("hot").pexpire(key, 300)
    assert title_through(other, cache_key) == "short-lived"
    assert until(lambda: not client("hot").exists(key))
    # Redis says the key is gone; the copy's own clock expired it no later than Redis did.
    assert other.get(key) is None


def test_a_read_racing_a_write_never_keeps_the_old_document(copies_on):
    other = copies_on()
    key = hot_tier.cache.make_key("raced")
    ticket, started = other.ticket(), other.clock()
    old = b'{"metadata": {"title": "read before the write"}}'
    # The write lands after the read of Redis but before the copy is kept.
    client("hot").set(key, b'{"metadata": {"title": "written"}}', px=60_000)
    assert until(lambda: other.ticket() != ticket)
    other.put(key, old, 60_000, ticket=ticket, read_started=started)
    assert other.get(key) is None
    other.put(key, old, 60_000, ticket=other.ticket(), read_started=started)
    assert other.get(key) == old  # the same put with a current ticket is kept


def test_a_flushed_redis_empties_every_copy(copies_on):
    other = copies_on()
    cache_key = stored("flushed", triple())
    assert title_through(other, cache_key) == "flushed"
    client("hot").flushdb()
    settle(other.lease)
    assert title_through(other, cache_key) is None


@pytest.fixture
def private_hot_redis(settings):
    """The hot tier on a Redis of the test's own, which it may pause, stop and restart."""
    server = RedisServer().start()
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(f"{server.url}/0", prefix="hot", timeout=3600)}
    settings.REDIS_BREAKER_RESET_SECONDS = 0.05
    reset_breakers()
    yield server
    server.stop()


def test_a_restarted_redis_leaves_no_copy_of_what_it_lost(private_hot_redis, copies_on):
    other = copies_on()
    cache_key = stored("before the restart", triple())
    assert title_through(other, cache_key) == "before the restart"
    private_hot_redis.stop()
    assert until(lambda: not other.is_fresh())
    assert other.get(hot_tier.cache.make_key(cache_key)) is None
    with pytest.raises(RedisUnavailable):
        hot_tier.get_through(other, cache_key)
    private_hot_redis.start()  # empty: it kept nothing
    assert other.wait_fresh(5)
    assert until(lambda: _answers(other, cache_key))
    assert title_through(other, cache_key) is None
    cache_key = stored("after the restart", triple())
    assert title_through(other, cache_key) == "after the restart"


def _answers(copy: LocalCopy, cache_key: str) -> bool:
    try:
        hot_tier.get_through(copy, cache_key)  # the breaker closes again
    except RedisUnavailable:
        return False
    return True


def test_a_paused_redis_stops_the_copy_within_its_lease_and_checks_read_the_cold_tier(private_hot_redis, copies_on):
    cache_key = stored("paused", triple())
    assert services.cache_entry_fetch(cache_key=cache_key).tier == "hot"
    own = local_copy("hot")
    redis.Redis.from_url(private_hot_redis.url).execute_command("CLIENT", "PAUSE", "2000", "ALL")
    paused_at = time.monotonic()
    assert until(lambda: not own.is_fresh())
    # No pong for longer than the lease: copies are no longer proven current.
    assert time.monotonic() - paused_at <= own.lease + 1.0
    lookup = services.cache_entry_fetch(cache_key=cache_key)
    assert (lookup.hit, lookup.tier, lookup.document["metadata"]["title"]) == (True, "cold", "paused")


def test_a_forked_child_builds_its_own_copy(copies_on):
    assert local_copy.cache_info().currsize == 1
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os._exit(0 if local_copy.cache_info().currsize == 0 else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_off_every_read_asks_redis(settings):
    settings.CACHE_HOT_LOCAL_COPY = False
    cache_key = stored("uncopied", triple())
    assert local_copy("hot") is None
    gets = commands_run("get")
    for _ in range(5):
        assert hot_tier.get(cache_key)["metadata"]["title"] == "uncopied"
    assert commands_run("get") == gets + 5
