"""The cache API end to end, on both cold tiers (local folder and GCS through the emulator)."""

import re

import pytest
from django.core.cache import caches
from django.utils.dateparse import parse_datetime

from cache_app.api import views
from cache_app.keys import cache_key_for
from cache_app.models import CacheEntry
from cache_app.tests.factories import metadata, store_body, triple
from cache_app.tiers import cold_tier
from devstack.redis_server import free_port
from vividly.accounts.tests.factories import StaffFactory
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


@pytest.mark.parametrize("body", ["0.0", "0", "false", '""', "[]", "null", '"cache_key"', "[1]"])
def test_invalidate_refuses_a_body_that_is_not_an_object_even_with_query_arguments(service_client, body):
    """Issue 17: a falsy body (`0.0`) was taken for no body, and the query's arguments deleted."""
    _, stored = store(service_client)
    response = service_client.generic(
        "DELETE", f"{INVALIDATE}?cache_key={stored['cache_key']}", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert cold_tier.get(stored["cache_key"]) is not None


def test_invalidate_takes_the_query_when_the_body_is_empty_or_an_empty_object(service_client):
    _, first = store(service_client)
    _, second = store(service_client)
    for key, body in ((first["cache_key"], ""), (second["cache_key"], "{}")):
        url = f"{INVALIDATE}?cache_key={key}"
        response = service_client.generic("DELETE", url, body, content_type="application/json")
        assert response.status_code == 200, response.content
        assert response.json()["cache_keys"] == [key]


def test_invalidate_with_the_hot_tier_down_is_503_and_keeps_the_record(service_client, settings):
    _, stored = store(service_client)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "hot": redis_cache(dead, prefix="x", timeout=60)}
    response = service_client.delete(INVALIDATE, {"cache_key": stored["cache_key"]}, format="json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "hot_tier_unavailable"
    assert CacheEntry.objects.filter(pk=stored["cache_key"]).exists()


@pytest.mark.parametrize("name", ["page.html", "icon.svg", "run.js", "video/720p.mp4.html", "noextension"])
def test_store_refuses_an_asset_type_that_could_run_script(service_client, name):
    """The attack: an .html or .svg "video" would later be served from this origin (stored XSS)."""
    response = service_client.post(
        STORE, store_body(metadata=metadata(assets={"video": {"720p": name}})), format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "metadata.assets.video.720p" in error["details"]
    assert not CacheEntry.objects.exists()


@pytest.mark.parametrize(
    "name, stored",
    [("a/./b.mp3", False), ("./b.mp3", False), ("a/../b.mp3", False), ("a//b.mp3", False), (".a/..b/.../c.mp3", True)],
)
def test_the_schema_refuses_the_blob_names_the_server_refuses(service_client, client, name, stored):
    """Issue 17: the schema's pattern let '.' segments through, which the store refuses."""
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]["StoreRequest"]
    pattern = schema["properties"]["metadata"]["properties"]["assets"]["properties"]["audio"]["pattern"]
    response = service_client.post(
        STORE, store_body(metadata=metadata(assets={"video": {"720p": "v.mp4"}, "audio": name})), format="json"
    )
    assert (bool(re.match(pattern, name)), response.status_code) == (stored, 201 if stored else 400)


def test_store_records_the_calling_principal(service_client, as_user):
    _, stored = store(service_client)
    assert CacheEntry.objects.get(pk=stored["cache_key"]).stored_by.startswith("service:svc-")
    staff = StaffFactory(username="ops-lena")
    body = store_body()
    assert as_user(staff).post(STORE, body, format="json").status_code == 201
    key = cache_key_for(**{k: body[k] for k in ("topic_id", "interest", "style")})
    assert CacheEntry.objects.get(pk=key).stored_by == "ops-lena"


@pytest.mark.parametrize(
    ("view", "scope"),
    [
        (views.CheckView, "cache:read"),
        (views.StatsView, "cache:read"),
        (views.StoreView, "cache:write"),
        (views.StatsResetView, "cache:write"),
        (views.InvalidateView, "cache:write"),
    ],
)
def test_each_endpoint_declares_its_scope(view, scope):
    assert view.required_scope == scope
