"""Two sweepers on two "machines": one acts per task and lock period, and the other takes over when it dies."""

import itertools
import time
from collections import defaultdict

import pytest
import redis

from tests.cluster.conftest import SWEEP_INTERVAL_SECONDS

pytestmark = pytest.mark.cluster

LOCK_PREFIX = "vividly:periodic:"
TASKS = ("notifications-sweep", "generation-leases")
WATCH_SECONDS = 15.0
# The lock a sweeper takes lasts just under the interval (vividly/periodic/tasks.py).
LOCK_SECONDS = max(1, SWEEP_INTERVAL_SECONDS - 1)


def watch_acts(queue_redis: redis.Redis, seconds: float) -> dict[str, list[tuple[float, str]]]:
    """Return, per task, when a sweeper took its lock (acted) and which one (`host:pid`), for `seconds`.

    Keyspace notifications report each successful SET of a lock key; a refused SET NX reports nothing.
    """
    acts: dict[str, list[tuple[float, str]]] = defaultdict(list)
    pubsub = queue_redis.pubsub()
    pubsub.psubscribe(f"__keyspace@0__:{LOCK_PREFIX}*")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message and message["type"] == "pmessage" and message["data"] == b"set":
            key = message["channel"].decode().split(":", 1)[1]
            owner = (queue_redis.get(key) or b"").decode()
            acts[key.removeprefix(LOCK_PREFIX)].append((time.monotonic(), owner))
    pubsub.close()
    return acts


def owner_pid(owner: str) -> int:
    return int(owner.rsplit(":", 1)[1])


def test_two_sweepers_never_act_on_one_task_within_its_lock_and_the_survivor_takes_over(cluster):
    queue_redis = redis.Redis.from_url(cluster.queue_redis_url)
    queue_redis.config_set("notify-keyspace-events", "K$g")
    second = cluster.start_sweeper("sweeper2")
    time.sleep(4)  # it has started (Django boots in ~2 s here)
    sweepers = {cluster.processes["sweeper"].pid: "sweeper", second.pid: "sweeper2"}

    acts = watch_acts(queue_redis, WATCH_SECONDS)
    summary = {
        task: [(round(at - acts[task][0][0], 2), sweepers.get(owner_pid(o), o)) for at, o in acts[task]]
        for task in TASKS
    }
    print(f"\nacts in {WATCH_SECONDS:g} s (interval {SWEEP_INTERVAL_SECONDS} s): {summary}")
    for task in TASKS:
        times = [at for at, _ in acts[task]]
        assert len(times) >= WATCH_SECONDS / SWEEP_INTERVAL_SECONDS - 2, task  # someone acts every interval
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert min(gaps) >= LOCK_SECONDS - 0.1, (task, gaps)  # never two within a lock
        assert {owner_pid(owner) for _, owner in acts[task]} <= set(sweepers)

    # The one that acted last dies with SIGKILL: the other goes on alone.
    last_owner = sweepers[owner_pid(acts[TASKS[0]][-1][1])]
    survivor = "sweeper2" if last_owner == "sweeper" else "sweeper"
    cluster.kill(last_owner)
    after = watch_acts(queue_redis, 3 * SWEEP_INTERVAL_SECONDS)
    print(f"after killing {last_owner}: {dict(after)}")
    for task in TASKS:
        assert len(after[task]) >= 2, task
        assert {sweepers[owner_pid(owner)] for _, owner in after[task]} == {survivor}
