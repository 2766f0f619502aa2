"""The cache's reads: which stored keys an invalidation designates (nothing is changed by asking)."""

import pytest

from cache_app import selectors, services
from cache_app.keys import cache_key_for
from cache_app.models import CacheEntry
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import HotTierUnavailable, cold_tier, hot_tier
from devstack.redis_server import free_port
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db


def stored(**fields: str) -> str:
    return services.cache_entry_store(**triple(**fields), metadata=metadata()).cache_key


def test_targets_by_key_triple_and_topic(local_cold_tier):
    first, second, other = stored(topic_id="algebra"), stored(topic_id="algebra", interest="chess"), stored()
    assert selectors.invalidation_targets(cache_key=first) == [first]
    assert selectors.invalidation_targets(topic_id="algebra", interest="chess", style="visual") == [second]
    assert selectors.invalidation_targets(topic_id="algebra") == sorted([first, second])
    assert selectors.invalidation_targets(cache_key="0" * 64) == []
    assert selectors.invalidation_targets(everything=True) == sorted([first, second, other])
    assert CacheEntry.objects.count() == 3 and len(cold_tier.keys()) == 3  # asking changed nothing


def test_a_key_held_by_one_tier_only_is_a_target(local_cold_tier):
    in_cold = stored()
    CacheEntry.objects.filter(pk=in_cold).delete()
    hot_tier.delete([in_cold])
    in_hot = cache_key_for(**triple())
    hot_tier.set(in_hot, {"cache_key": in_hot, "metadata": {"title": "t"}})
    assert selectors.invalidation_targets(cache_key=in_cold) == [in_cold]
    assert selectors.invalidation_targets(cache_key=in_hot) == [in_hot]


def test_targets_with_the_hot_tier_down_are_503(settings):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=60)}
    with pytest.raises(HotTierUnavailable) as caught:
        selectors.invalidation_targets(cache_key="0" * 64)
    assert caught.value.status_code == 503
