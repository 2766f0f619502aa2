"""The two tiers' own rules: markers and warming in Redis, an unreadable cold tier is never a miss."""

import pytest

from cache_app import services
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import (
    MISS_MARKER_SECONDS,
    ColdTierUnavailable,
    cold_failed_key,
    cold_tier,
    hot_tier,
    miss_key,
)

pytestmark = pytest.mark.django_db


def document(title: str = "t") -> dict:
    return {"cache_key": "k", "metadata": {"title": title}}


def test_set_replaces_and_drops_the_miss_marker():
    hot_tier.mark(miss_key("k"), MISS_MARKER_SECONDS)
    assert hot_tier.fill_outcome("k").document is None  # a miss was recorded
    assert hot_tier.set("k", document("new")) is True
    assert hot_tier.fill_outcome("k").document == document("new")


def test_warm_never_overwrites_a_newer_store():
    hot_tier.set("k", document("stored meanwhile"))
    hot_tier.warm("k", document("read from the cold tier"))
    assert hot_tier.get("k") == document("stored meanwhile")
    hot_tier.warm("other", document("warmed"))
    assert hot_tier.get("other") == document("warmed")


def test_fill_outcome_reports_a_failed_cold_read_and_nothing_yet():
    assert hot_tier.fill_outcome("k") is None
    hot_tier.mark(cold_failed_key("k"), 1)
    with pytest.raises(ColdTierUnavailable):
        hot_tier.fill_outcome("k")


def test_delete_removes_documents_and_miss_markers():
    hot_tier.set("a", document())
    hot_tier.mark(miss_key("b"), MISS_MARKER_SECONDS)
    hot_tier.delete(["a", "b"])
    assert hot_tier.get_many(["a", miss_key("b")]) == {}


def test_fill_lock_is_held_by_one_holder():
    first, second = hot_tier.fill_lock("k"), hot_tier.fill_lock("k")
    assert hot_tier.acquire(first) is True
    assert hot_tier.acquire(second) is False and hot_tier.is_locked(second)
    hot_tier.release(first)
    assert not hot_tier.is_locked(second)
    hot_tier.release(first)  # releasing twice is harmless


def test_cold_tier_keeps_documents_and_lists_them(local_cold_tier):
    cold_tier.put("a" * 64, document())
    assert cold_tier.get("a" * 64) == document()
    assert cold_tier.get("b" * 64) is None
    assert cold_tier.exists("a" * 64) and not cold_tier.exists("b" * 64)
    assert cold_tier.keys() == ["a" * 64]
    cold_tier.delete("a" * 64)
    cold_tier.delete("a" * 64)  # already gone: fine
    assert cold_tier.keys() == []


def test_corrupt_cold_document_is_503_not_a_miss(local_cold_tier):
    fields = triple()
    stored = services.cache_entry_store(**fields, metadata=metadata())
    hot_tier.delete([stored.cache_key])
    (local_cold_tier / "entries" / f"{stored.cache_key}.json").write_text('{"torn":')
    with pytest.raises(ColdTierUnavailable) as caught:
        services.cache_entry_fetch(cache_key=stored.cache_key)
    assert caught.value.status_code == 503


def test_local_cold_tier_unreadable_is_503(settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "cache_cold": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "cold")},
        },
    }
    with pytest.raises(ColdTierUnavailable) as caught:
        services.cache_entry_fetch(cache_key="c" * 64)
    assert caught.value.status_code == 503
