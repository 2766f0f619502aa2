"""The cache API end to end, on both cold tiers (local folder and GCS through the emulator)."""

import pytest
from django.core.cache import caches
from django.utils.dateparse import parse_datetime

from cache_app.keys import cache_key_for
from cache_app.models import CacheEntry
from cache_app.signals import content_stored
from cache_app.tests.factories import metadata, store_body, triple
from cache_app.tiers import cold_tier
from devstack.redis_server import free_port
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db

CHECK, STORE, STATS = "/internal/v1/cache/check", "/internal/v1/cache/store", "/internal/v1/cache/stats"
INVALIDATE = "/internal/v1/cache/invalidate"


def store(api, **overrides):
    body = store_body(**overrides)
    response = api.post(STORE, body, format="json")
    assert response.status_code == 201, response.content
    return body, response.json()


def check(api, body):
    return api.post(CHECK, {k: body[k] for k in ("topic_id", "interest", "style")}, format="json")


def flush_hot() -> None:
    caches["hot"].clear()


def test_store_then_hot_hit(service_client, cold_tier_kind):
    body, stored = store(service_client)
    assert stored["stored"] is True
    assert stored["cache_key"] == cache_key_for(**{k: body[k] for k in ("topic_id", "interest", "style")})
    response = check(service_client, body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["cache_hit"] is True and answer["tier"] == "hot"
    assert answer["metadata"]["title"] == body["metadata"]["title"]
    assert parse_datetime(answer["metadata"]["cached_at"]) == parse_datetime(stored["cached_at"])


def test_cold_hit_warms_the_hot_tier(service_client, cold_tier_kind):
    body, stored = store(service_client)
    flush_hot()
    first = check(service_client, body).json()
    assert (first["cache_hit"], first["tier"]) == (True, "cold")
    assert first["metadata"]["assets"] == body["metadata"]["assets"]
    assert caches["hot"].get(stored["cache_key"]) is not None
    second = check(service_client, body).json()
    assert (second["cache_hit"], second["tier"]) == (True, "hot")


def test_miss(service_client, cold_tier_kind):
    answer = check(service_client, triple()).json()
    assert answer["cache_hit"] is False
    assert answer["tier"] is None and answer["metadata"] is None
    assert len(answer["cache_key"]) == 64


def test_store_replaces_and_records_the_index(service_client, cold_tier_kind):
    body, stored = store(service_client)
    body["metadata"] = metadata(title="Second cut")
    assert service_client.post(STORE, body, format="json").status_code == 201
    flush_hot()
    assert check(service_client, body).json()["metadata"]["title"] == "Second cut"
    entry = CacheEntry.objects.get(pk=stored["cache_key"])
    assert (entry.title, entry.store_count, entry.topic_id) == ("Second cut", 2, body["topic_id"])


def test_content_stored_signal_after_commit(service_client, django_capture_on_commit_callbacks):
    received = []
    content_stored.connect(lambda **kwargs: received.append(kwargs), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            body, stored = store(service_client)
    finally:
        content_stored.disconnect(dispatch_uid="t")
    assert len(received) == 1
    assert received[0]["cache_key"] == stored["cache_key"]
    assert received[0]["topic_id"] == body["topic_id"]
    assert received[0]["metadata"]["title"] == body["metadata"]["title"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topic_id": "a|b"}, "topic_id"),
        ({"interest": ""}, "interest"),
        ({"style": "x" * 201}, "style"),
        ({"style": 7}, "style"),
        ({"topic_id": None}, "topic_id"),
    ],
)
def test_check_validation(service_client, change, field):
    response = service_client.post(CHECK, {**triple(), **change}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]


def test_check_missing_fields(service_client):
    response = service_client.post(CHECK, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"topic_id", "interest", "style"}


def test_check_does_not_trim_whitespace(service_client):
    body, stored = store(service_client)
    padded = {**{k: body[k] for k in ("topic_id", "interest", "style")}, "style": body["style"] + " "}
    answer = service_client.post(CHECK, padded, format="json").json()
    assert answer["cache_hit"] is False and answer["cache_key"] != stored["cache_key"]


@pytest.mark.parametrize(
    ("bad_metadata", "field"),
    [
        ({"duration_seconds": 10, "assets": {"video": {"720p": "a.mp4"}}}, "metadata.title"),
        (metadata(duration_seconds=0), "metadata.duration_seconds"),
        (metadata(duration_seconds=-3), "metadata.duration_seconds"),
        (metadata(duration_seconds=True), "metadata.duration_seconds"),
        (metadata(duration_seconds="90"), "metadata.duration_seconds"),
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
def test_store_validation(service_client, bad_metadata, field):
    response = service_client.post(STORE, {**triple(), "metadata": bad_metadata}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert CacheEntry.objects.count() == 0


def test_store_accepts_a_single_quality_and_extra_metadata(service_client):
    extra = metadata(assets={"video": {"4K": "v/4k.mp4"}}, language="es", tags=["física"])
    body, _ = store(service_client, metadata=extra)
    answer = check(service_client, body).json()
    assert answer["metadata"]["language"] == "es" and answer["metadata"]["tags"] == ["física"]


def test_cold_tier_down_on_a_hot_miss_is_503_never_a_false_miss(service_client, gcs_cold_tier):
    body, _ = store(service_client)
    flush_hot()
    gcs_cold_tier.stop()
    response = check(service_client, body)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "cold_tier_unavailable"
    assert int(response["Retry-After"]) > 0
    # A key that was never stored is also not reported as a miss.
    assert check(service_client, triple()).status_code == 503


def test_cold_tier_down_still_serves_hot_hits(service_client, gcs_cold_tier):
    body, _ = store(service_client)
    gcs_cold_tier.stop()
    answer = check(service_client, body).json()
    assert (answer["cache_hit"], answer["tier"]) == (True, "hot")


def test_store_with_the_cold_tier_down_is_503_and_writes_nothing(service_client, gcs_cold_tier):
    gcs_cold_tier.stop()
    body = store_body()
    response = service_client.post(STORE, body, format="json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "cold_tier_unavailable"
    key = cache_key_for(**{k: body[k] for k in ("topic_id", "interest", "style")})
    assert not CacheEntry.objects.exists()
    assert caches["hot"].get(key) is None


def test_local_cold_tier_unreadable_is_503(service_client, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "cache_cold": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "cold")},
        },
    }
    assert check(service_client, triple()).status_code == 503


def test_corrupt_cold_document_is_503_not_a_miss(service_client, local_cold_tier):
    body, stored = store(service_client)
    flush_hot()
    (local_cold_tier / "entries" / f"{stored['cache_key']}.json").write_text('{"torn":')
    response = check(service_client, body)
    assert response.status_code == 503


def test_redis_down_falls_back_to_the_cold_tier(service_client, settings, cold_tier_kind):
    body, _ = store(service_client)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=60)}
    for _ in range(3):
        response = check(service_client, body)
        assert response.status_code == 200
        assert (response.json()["cache_hit"], response.json()["tier"]) == (True, "cold")
    assert check(service_client, triple()).json()["cache_hit"] is False
    stats = service_client.get(STATS).json()
    assert stats["hot_errors"] == 4 and stats["cold_hits"] == 3 and stats["misses"] == 1


def test_store_with_redis_down_still_stores_in_the_cold_tier(service_client, settings, local_cold_tier):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=60)}
    body, stored = store(service_client)
    assert cold_tier.get(stored["cache_key"])["metadata"]["title"] == body["metadata"]["title"]


def test_stats_count_every_outcome(service_client, cold_tier_kind):
    body, _ = store(service_client)
    check(service_client, body)  # hot
    flush_hot()
    check(service_client, body)  # cold
    check(service_client, triple())  # miss
    service_client.delete(INVALIDATE, {k: body[k] for k in ("topic_id", "interest", "style")}, format="json")
    stats = service_client.get(STATS).json()
    assert {k: stats[k] for k in ("hot_hits", "cold_hits", "misses", "stores", "invalidations")} == {
        "hot_hits": 1,
        "cold_hits": 1,
        "misses": 1,
        "stores": 1,
        "invalidations": 1,
    }
    assert stats["hit_rate"] == pytest.approx(2 / 3)
    assert stats["latency"]["hot"]["samples"] == 3
    assert stats["latency"]["cold"]["samples"] == 2
    assert stats["latency"]["hot"]["p95_ms"] >= stats["latency"]["hot"]["p50_ms"] > 0


def test_stats_reset(service_client):
    check(service_client, triple())
    assert service_client.post("/internal/v1/cache/stats/reset").status_code == 204
    stats = service_client.get(STATS).json()
    assert stats["misses"] == 0 and stats["hit_rate"] == 0.0 and stats["since"]


@pytest.mark.parametrize("how", ["key", "triple", "query"])
def test_invalidate_one_entry_from_both_tiers(service_client, cold_tier_kind, how):
    body, stored = store(service_client)
    other, _ = store(service_client, topic_id=body["topic_id"], interest="music")
    key = stored["cache_key"]
    if how == "key":
        response = service_client.delete(INVALIDATE, {"cache_key": key}, format="json")
    elif how == "triple":
        response = service_client.delete(
            INVALIDATE, {k: body[k] for k in ("topic_id", "interest", "style")}, format="json"
        )
    else:
        response = service_client.delete(f"{INVALIDATE}?cache_key={key}")
    assert response.status_code == 200
    assert response.json() == {"invalidated": 1, "cache_keys": [key], "dry_run": False}
    assert caches["hot"].get(key) is None and cold_tier.get(key) is None
    assert not CacheEntry.objects.filter(pk=key).exists()
    assert check(service_client, body).json()["cache_hit"] is False
    assert check(service_client, other).json()["cache_hit"] is True


def test_invalidate_a_whole_topic(service_client, cold_tier_kind):
    body, first = store(service_client)
    _, second = store(service_client, topic_id=body["topic_id"], interest="music")
    _, unrelated = store(service_client)
    response = service_client.delete(INVALIDATE, {"topic_id": body["topic_id"]}, format="json")
    assert response.json()["invalidated"] == 2
    assert sorted(response.json()["cache_keys"]) == sorted([first["cache_key"], second["cache_key"]])
    assert cold_tier.get(unrelated["cache_key"]) is not None


def test_invalidate_dry_run_and_unknown_key(service_client):
    _, stored = store(service_client)
    response = service_client.delete(INVALIDATE, {"cache_key": stored["cache_key"], "dry_run": True}, format="json")
    assert response.json() == {"invalidated": 1, "cache_keys": [stored["cache_key"]], "dry_run": True}
    assert cold_tier.get(stored["cache_key"]) is not None
    unknown = service_client.delete(INVALIDATE, {"cache_key": "0" * 64}, format="json").json()
    assert unknown["invalidated"] == 0 and unknown["cache_keys"] == []


@pytest.mark.parametrize(
    "body",
    [{}, {"cache_key": "not-hex"}, {"topic_id": "t", "interest": "i"}, {"cache_key": "0" * 64, "topic_id": "t"}],
)
def test_invalidate_validation(service_client, body):
    response = service_client.delete(INVALIDATE, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_invalidate_with_the_hot_tier_down_is_503_and_keeps_the_record(service_client, settings):
    _, stored = store(service_client)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=60)}
    response = service_client.delete(INVALIDATE, {"cache_key": stored["cache_key"]}, format="json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "hot_tier_unavailable"
    assert CacheEntry.objects.filter(pk=stored["cache_key"]).exists()


def test_counts_survive_a_stats_redis_outage(service_client, settings):
    """Counts gathered while the stats Redis is unreachable are sent once it answers again."""
    from cache_app import stats

    real = settings.CACHES["state"]
    settings.CACHES = {
        **settings.CACHES,
        "state": redis_cache(f"redis://127.0.0.1:{free_port()}/0", prefix="x", timeout=None),
    }
    check(service_client, triple())
    assert stats.buffer.flush() is False
    assert service_client.get(STATS).status_code == 503
    settings.CACHES = {**settings.CACHES, "state": real}
    from vividly.redis_guard import reset_breakers

    reset_breakers()
    assert service_client.get(STATS).json()["misses"] == 1
