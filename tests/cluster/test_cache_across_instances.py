"""The cache is one across instances: statistics add up; concurrent misses of one key read the cold tier once."""

import threading

import pytest
import redis

from devstack.cluster import WEB_INSTANCES
from tests.cluster.support import DEMO_VIDEO, cache_stats, call, service, unique_entry

pytestmark = pytest.mark.cluster

COUNTED = ("hot_hits", "cold_hits", "misses", "stores")


def counters(stats: dict) -> dict[str, int]:
    return {name: stats[name] for name in COUNTED}


def test_statistics_counted_on_each_instance_add_up_and_every_instance_reports_the_sum(cluster):
    before = counters(cache_stats(cluster.entry_url, cluster))
    expected = dict.fromkeys(COUNTED, 0)
    for index in range(WEB_INSTANCES):
        base = cluster.web_url(index)
        for _ in range(index + 2):  # 2, 3 and 4 hits: a mix-up between instances would show
            assert call(base, "POST", "/internal/v1/cache/check", token=service(cluster), body=DEMO_VIDEO).json()[
                "cache_hit"
            ]
            expected["hot_hits"] += 1
        for _ in range(index + 1):
            miss = {name: value for name, value in unique_entry().items() if name != "metadata"}
            assert not call(base, "POST", "/internal/v1/cache/check", token=service(cluster), body=miss).json()[
                "cache_hit"
            ]
            expected["misses"] += 1
        assert call(base, "POST", "/internal/v1/cache/store", token=service(cluster), body=unique_entry()).ok
        expected["stores"] += 1

    for index in range(WEB_INSTANCES):
        stats = cache_stats(cluster.web_url(index), cluster)
        assert stats["processes"]["answered"] >= stats["processes"]["asked"]
        delta = {name: stats[name] - before[name] for name in COUNTED}
        assert delta == expected, f"web{index + 1}"


def test_concurrent_misses_of_one_key_on_every_instance_read_the_cold_tier_once(cluster):
    entry = unique_entry()
    stored = call(cluster.entry_url, "POST", "/internal/v1/cache/store", token=service(cluster), body=entry)
    assert stored.status_code == 201, stored.text
    cache_key = stored.json()["cache_key"]
    # Evict it from the hot tier only (what allkeys-lru does under memory pressure).
    hot = redis.Redis.from_url(cluster.hot_redis_url)
    evicted = [key for key in hot.scan_iter(match=f"*{cache_key}*")]
    assert evicted and hot.delete(*evicted) == len(evicted)
    before = counters(cache_stats(cluster.entry_url, cluster))

    per_instance = 8
    start = threading.Barrier(per_instance * WEB_INSTANCES)
    answers: list[dict] = []
    triple = {name: entry[name] for name in ("topic_id", "interest", "style")}

    def check(base: str) -> None:
        start.wait()
        answers.append(call(base, "POST", "/internal/v1/cache/check", token=service(cluster), body=triple).json())

    threads = [
        threading.Thread(target=check, args=(cluster.web_url(index),))
        for index in range(WEB_INSTANCES)
        for _ in range(per_instance)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == per_instance * WEB_INSTANCES
    assert all(answer["cache_hit"] for answer in answers), answers
    delta = {name: value - before[name] for name, value in counters(cache_stats(cluster.entry_url, cluster)).items()}
    print(f"\n{len(answers)} concurrent checks on {WEB_INSTANCES} instances: {delta}")
    assert delta["cold_hits"] == 1
    assert delta["hot_hits"] == len(answers) - 1
    assert sum(answer["tier"] == "cold" for answer in answers) == 1


def test_no_instance_answers_an_old_document_once_a_store_or_invalidation_returned(cluster):
    """Each process keeps local copies of hot documents (vividly/local_copy.py): a store or an
    invalidation through one instance must never be answered old by any process of another.

    The whole path across real processes; that the writer's wait is what closes the last window
    (a read racing the invalidation message) is shown in cache_app/tests/test_local_copy.py."""
    entry = unique_entry()
    triple = {name: entry[name] for name in ("topic_id", "interest", "style")}
    token = service(cluster)
    writer, readers = cluster.web_url(0), [cluster.web_url(index) for index in range(1, WEB_INSTANCES)]

    def titles() -> set[str | None]:
        # Several checks per instance, so that both of its gunicorn workers answer and copy it.
        answers = [
            call(base, "POST", "/internal/v1/cache/check", token=token, body=triple).json()
            for base in readers
            for _ in range(6)
        ]
        return {answer["metadata"]["title"] if answer["cache_hit"] else None for answer in answers}

    for version in range(15):
        body = {**entry, "metadata": {**entry["metadata"], "title": f"version {version}"}}
        assert call(writer, "POST", "/internal/v1/cache/store", token=token, body=body).status_code == 201
        assert titles() == {f"version {version}"}
        assert titles() == {f"version {version}"}  # now answered from the copies
    removed = call(writer, "DELETE", "/internal/v1/cache/invalidate", token=token, body=triple)
    assert removed.status_code == 200 and removed.json()["cache_keys"]
    assert titles() == {None}
