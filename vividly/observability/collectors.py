"""The core's scrape-time collectors: RQ queue depth and age, and both Redis' memory."""

import time
from collections.abc import Iterator

import django_rq
from django.conf import settings
from prometheus_client.core import GaugeMetricFamily, Metric

from vividly.observability.metrics import collector_register
from vividly.redis_guard import client, guarded

# The cache aliases whose Redis is reported, by the name the README gives each one.
REDIS_ROLES = {"hot": "cache", "state": "queue"}


class RqQueues:
    name = "rq_queues"

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("vividly_rq_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
        age = GaugeMetricFamily(
            "vividly_rq_oldest_job_age_seconds",
            "Seconds since the oldest waiting job of each RQ queue was enqueued (0 when empty).",
            labels=["queue"],
        )
        now = time.time()
        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name, connection=client("state"))
            depth.add_metric([name], guarded("state", lambda queue=queue: queue.count))
            # RQ pushes at the tail and pops from the head: the head is the oldest job.
            head = guarded("state", queue.get_job_ids, 0, 1)
            job = guarded("state", queue.fetch_job, head[0]) if head else None
            enqueued = job.enqueued_at.timestamp() if job is not None and job.enqueued_at else None
            age.add_metric([name], max(0.0, now - enqueued) if enqueued is not None else 0.0)
        yield depth
        yield age


class RedisMemory:
    name = "redis_memory"

    def collect(self) -> Iterator[Metric]:
        used = GaugeMetricFamily("vividly_redis_memory_used_bytes", "used_memory of each Redis.", labels=["redis"])
        limit = GaugeMetricFamily(
            "vividly_redis_memory_max_bytes", "maxmemory of each Redis (0: no limit).", labels=["redis"]
        )
        for alias, role in REDIS_ROLES.items():
            memory = guarded(alias, client(alias).info, "memory")
            used.add_metric([role], float(memory.get("used_memory", 0)))
            limit.add_metric([role], float(memory.get("maxmemory", 0) or 0))
        yield used
        yield limit


collector_register(RqQueues())
collector_register(RedisMemory())
