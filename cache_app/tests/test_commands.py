"""invalidate_cache, cache_stats and warm_cache, as operators run them."""

import json
from io import StringIO

import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command

from cache_app import selectors, services
from cache_app.models import CacheEntry
from cache_app.services import cache_entry_store
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import cold_tier

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def stored(**overrides: str) -> str:
    return cache_entry_store(**triple(**overrides), metadata=metadata()).cache_key


def test_invalidate_by_key(cold_tier_kind):
    key, other = stored(), stored()
    assert run("invalidate_cache", "--key", key) == [key, "Invalidated 1 entry."]
    assert cold_tier.get(key) is None and caches["hot"].get(key) is None
    assert cold_tier.get(other) is not None


def test_invalidate_by_topic_and_dry_run():
    first, second = stored(topic_id="algebra"), stored(topic_id="algebra", interest="chess")
    keep = stored()
    lines = run("invalidate_cache", "--topic", "algebra", "--dry-run")
    assert sorted(lines[:-1]) == sorted([first, second]) and lines[-1] == "Would invalidate 2 entries."
    assert CacheEntry.objects.count() == 3
    run("invalidate_cache", "--topic", "algebra")
    assert list(CacheEntry.objects.values_list("pk", flat=True)) == [keep]


def test_invalidate_all_includes_cold_documents_missing_from_the_index(local_cold_tier):
    indexed = stored()
    stray = stored()
    CacheEntry.objects.filter(pk=stray).delete()  # as if the index write had been lost
    lines = run("invalidate_cache", "--all")
    assert sorted(lines[:-1]) == sorted([indexed, stray])
    assert cold_tier.keys() == []


def test_invalidate_needs_exactly_one_target():
    with pytest.raises(CommandError):
        run("invalidate_cache")
    with pytest.raises(CommandError):
        run("invalidate_cache", "--key", "k", "--all")
    with pytest.raises(CommandError, match="hexadecimal"):
        run("invalidate_cache", "--key", "nothex")


def test_cache_stats_shows_and_resets():
    key = stored()
    services.cache_entry_fetch(cache_key=key)
    shown = json.loads("\n".join(run("cache_stats", "--json")))
    assert shown["hot_hits"] == 1 and shown["stores"] == 1
    text = run("cache_stats")
    assert any(line.startswith("hit_rate") and "1.000" in line for line in text)
    run("cache_stats", "--reset")
    assert selectors.cache_stats()["hot_hits"] == 0


def test_warm_cache_loads_the_most_requested_first(cold_tier_kind):
    popular, unpopular = stored(), stored()
    for _ in range(3):
        services.cache_entry_fetch(cache_key=popular)
    services.cache_entry_fetch(cache_key=unpopular)
    caches["hot"].clear()  # as after a Redis restart
    assert run("warm_cache", "--limit", "1") == ["Warmed 1 entries; 0 were already hot; 0 were not in the cold tier."]
    assert caches["hot"].get(popular) is not None
    assert caches["hot"].get(unpopular) is None
    run("warm_cache")
    assert caches["hot"].get(unpopular) is not None


def test_warm_cache_falls_back_to_the_newest_entries():
    keys = [stored() for _ in range(3)]
    caches["hot"].clear()
    run("warm_cache", "--limit", "2")
    assert sum(caches["hot"].get(key) is not None for key in keys) == 2
    assert caches["hot"].get(keys[-1]) is not None
