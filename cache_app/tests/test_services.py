"""The cache's writes: store (and its metadata rules), fetch with warming, popularity, invalidate."""

import pytest
from django.core.cache import caches

from cache_app import services, stats
from cache_app.keys import cache_key_for
from cache_app.models import CacheEntry
from cache_app.signals import content_stored
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import cold_tier, hot_tier
from devstack.redis_server import free_port
from vividly.errors import InvalidInput
from vividly.redis_guard import client
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db


def popularity() -> dict[str, float]:
    stats.buffer.flush()
    return {key.decode(): score for key, score in client("state").zrange(stats.POPULARITY_KEY, 0, -1, withscores=True)}


def test_store_replaces_and_records_the_index(cold_tier_kind):
    fields = triple()
    stored = services.cache_entry_store(**fields, metadata=metadata(), stored_by="service:pipeline")
    services.cache_entry_store(**fields, metadata=metadata(title="Second cut"), stored_by="staffer")
    hot_tier.delete([stored.cache_key])
    assert services.cache_entry_fetch(cache_key=stored.cache_key).metadata["title"] == "Second cut"
    entry = CacheEntry.objects.get(pk=stored.cache_key)
    assert (entry.title, entry.store_count, entry.topic_id) == ("Second cut", 2, fields["topic_id"])
    assert entry.stored_by == "staffer"  # who stored it last


def test_content_stored_signal_after_commit(django_capture_on_commit_callbacks):
    received = []
    content_stored.connect(lambda **kwargs: received.append(kwargs), weak=False, dispatch_uid="t")
    fields = triple()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            stored = services.cache_entry_store(**fields, metadata=metadata())
    finally:
        content_stored.disconnect(dispatch_uid="t")
    assert len(received) == 1
    assert received[0]["cache_key"] == stored.cache_key
    assert received[0]["topic_id"] == fields["topic_id"]
    assert received[0]["metadata"]["title"] == metadata()["title"]


@pytest.mark.parametrize(
    ("bad_metadata", "field"),
    [
        ({"duration_seconds": 10, "assets": {"video": {"720p": "a.mp4"}}}, "metadata.title"),
        (metadata(title="   "), "metadata.title"),
        (metadata(duration_seconds=0), "metadata.duration_seconds"),
        (metadata(duration_seconds=-3), "metadata.duration_seconds"),
        (metadata(duration_seconds=True), "metadata.duration_seconds"),
        (metadata(duration_seconds="90"), "metadata.duration_seconds"),
        (metadata(duration_seconds=float("inf")), "metadata.duration_seconds"),
        (metadata(assets={"audio": "a.mp3"}), "metadata.assets.video"),
        (metadata(assets={"video": {}}), "metadata.assets.video"),
        (metadata(assets={"video": {"8K": "a.mp4"}}), "metadata.assets.video.8K"),
        (metadata(assets={"video": {"720p": "../secrets.txt"}}), "metadata.assets.video.720p"),
        (metadata(assets={"video": {"720p": "/etc/passwd"}}), "metadata.assets.video.720p"),
        (metadata(assets={"video": {"720p": "a\\b.mp4"}}), "metadata.assets.video.720p"),
        (metadata(assets={"video": {"720p": "a//b.mp4"}}), "metadata.assets.video.720p"),
        (metadata(assets={"video": {"720p": 12}}), "metadata.assets.video.720p"),
        (metadata(assets={"video": {"720p": "a.mp4"}, "script": "x/../../y"}), "metadata.assets.script"),
        (metadata(assets={"video": {"720p": "a.mp4"}, "poster": "p.png"}), "metadata.assets.poster"),
        ("not an object", "metadata"),
    ],
)
def test_store_validation(bad_metadata, field):
    with pytest.raises(InvalidInput) as caught:
        services.cache_entry_store(**triple(), metadata=bad_metadata)
    assert caught.value.status_code == 400
    assert field in caught.value.details
    assert CacheEntry.objects.count() == 0


def test_metadata_too_deep_or_too_large_is_refused():
    nested: object = "leaf"
    for _ in range(40):
        nested = {"n": nested}
    with pytest.raises(InvalidInput) as deep:
        services.cache_entry_store(**triple(), metadata=metadata(extra=nested))
    with pytest.raises(InvalidInput) as large:
        services.cache_entry_store(**triple(), metadata=metadata(notes="x" * 70_000))
    assert "nested" in deep.value.details["metadata"][0] and "bytes" in large.value.details["metadata"][0]


def test_store_with_redis_down_still_stores_in_the_cold_tier(settings, local_cold_tier):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=60)}
    stored = services.cache_entry_store(**triple(), metadata=metadata())
    assert cold_tier.get(stored.cache_key)["metadata"]["title"] == metadata()["title"]


def test_fetch_without_record_counts_nothing():
    stored = services.cache_entry_store(**triple(), metadata=metadata())
    assert services.cache_entry_fetch(cache_key=stored.cache_key, record=False).tier == "hot"
    assert stats.snapshot()["lookups"] == 0 and popularity() == {}


def test_fetch_many_reads_each_tier_once_per_key(local_cold_tier):
    hot, cold = (services.cache_entry_store(**triple(), metadata=metadata()).cache_key for _ in range(2))
    hot_tier.delete([cold])
    found, unavailable = services.cache_entries_fetch(cache_keys=[hot, cold, "d" * 64, hot])
    assert set(found) == {hot, cold} and unavailable == set()
    assert caches["hot"].get(cold) is not None  # warmed


def test_popularity_counts_hits_only():
    """The attack: lookups of made-up keys grew a ranking kept in the Redis that is never evicted."""
    for index in range(200):
        services.cache_entry_fetch(cache_key=cache_key_for(topic_id=f"made-up-{index}", interest="i", style="s"))
    assert popularity() == {}
    stored = services.cache_entry_store(**triple(), metadata=metadata())
    services.cache_entry_fetch(cache_key=stored.cache_key)
    hot_tier.delete([stored.cache_key])
    services.cache_entry_fetch(cache_key=stored.cache_key)  # a cold hit counts too
    assert popularity() == {stored.cache_key: 2.0}


def test_popularity_keeps_only_the_most_requested():
    """However many keys are hit, the ranking holds the POPULARITY_MAX most requested."""
    redis = client("state")
    redis.zadd(stats.POPULARITY_KEY, {f"{index:064x}": 2 + index for index in range(stats.POPULARITY_MAX)})
    stored = services.cache_entry_store(**triple(), metadata=metadata())
    services.cache_entry_fetch(cache_key=stored.cache_key)  # one hit: the least requested of all
    ranking = popularity()
    assert len(ranking) == stats.POPULARITY_MAX
    assert stored.cache_key not in ranking and f"{0:064x}" in ranking


def test_invalidate_removes_both_tiers_the_index_and_the_ranking(cold_tier_kind):
    stored = services.cache_entry_store(**triple(), metadata=metadata())
    services.cache_entry_fetch(cache_key=stored.cache_key)
    assert services.cache_entries_invalidate(cache_keys=[stored.cache_key]) == [stored.cache_key]
    assert hot_tier.get(stored.cache_key) is None and cold_tier.get(stored.cache_key) is None
    assert not CacheEntry.objects.exists() and popularity() == {}
