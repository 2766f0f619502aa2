"""Cache scenarios: check on a hot hit, a cold hit, a miss; store."""

import json

from benchmarks.scenarios import Scenario, floor_ratio_at_least

COLD_ENTRIES = 30000


def cache_scenarios(url: str, service_key: str) -> list[Scenario]:
    from django.core.cache import caches

    from cache_app.keys import cache_key_for
    from cache_app.services import cache_entry_store
    from cache_app.tests.factories import metadata
    from cache_app.tiers import cold_tier, hot_tier

    auth = {"Authorization": f"Bearer {service_key}"}
    hot = {"topic_id": "bench-hot", "interest": "basketball", "style": "visual"}
    cache_entry_store(**hot, metadata=metadata())

    # Cold documents are written straight to the cold tier: only the check is measured.
    document_metadata = metadata()
    for index in range(COLD_ENTRIES):
        fields = {"topic_id": f"bench-cold-{index}", "interest": "music", "style": "visual"}
        key = cache_key_for(**fields)
        cold_tier.put(key, {"cache_key": key, **fields, "metadata": document_metadata})

    def flush_hot() -> None:
        caches["hot"].clear()
        hot_tier.settle()  # the servers' local copies have dropped what the flush removed
        cache_entry_store(**hot, metadata=metadata())

    # Each wrk thread walks its own half of the cold keys, so every request is a cold hit
    # until the keys run out (then they wrap and become hot hits: the table flags that).
    cold_lua = f"""
local counter = -1
local thread_id = 0
local threads = 0
setup = function(thread)
  thread:set("thread_id", threads)
  threads = threads + 1
end
request = function()
  counter = counter + 1
  local index = (counter * 2 + thread_id) % {COLD_ENTRIES}
  local body = '{{"topic_id": "bench-cold-' .. index .. '", "interest": "music", "style": "visual"}}'
  return wrk.format("POST", nil, nil, body)
end
"""
    return [
        Scenario("floor: hot hit", "/bench/floor/hot-hit", "POST", headers=auth, body=json.dumps(hot)),
        Scenario(
            "cache check, hot hit",
            "/internal/v1/cache/check",
            "POST",
            headers=auth,
            body=json.dumps(hot),
            floor="floor: hot hit",
            target=">=0.9x floor, p99<=2x baseline's",
            check=floor_ratio_at_least(0.9, p99_times_baseline=2),
        ),
        Scenario(
            "cache check, cold hit (local)",
            "/internal/v1/cache/check",
            "POST",
            headers=auth,
            body=json.dumps({"topic_id": "bench-cold-0", "interest": "music", "style": "visual"}),
            lua=cold_lua,
            setup=flush_hot,
            target=f"p95<=50ms, <= {COLD_ENTRIES} req",
            check=lambda row: row["p95_ms"] <= 50 and row["requests"] <= COLD_ENTRIES,
        ),
        Scenario(
            "cache check, miss",
            "/internal/v1/cache/check",
            "POST",
            headers=auth,
            body=json.dumps({"topic_id": "bench-missing", "interest": "music", "style": "visual"}),
        ),
        Scenario(
            "cache store",
            "/internal/v1/cache/store",
            "POST",
            headers=auth,
            body=json.dumps({**hot, "topic_id": "bench-store", "metadata": metadata()}),
        ),
    ]
