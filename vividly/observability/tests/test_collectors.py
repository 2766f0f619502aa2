"""The core's scrape-time collectors: RQ queues, Redis memory, and a failing collector."""

from datetime import UTC, datetime, timedelta

import django_rq
import pytest

from devstack.redis_server import free_port
from vividly.observability.tests.support import scraped, value
from vividly.redis_guard import client
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db


def queue(name: str):
    return django_rq.get_queue(name, commit_mode="auto", connection=client("state"))


def test_queue_depth_and_oldest_job_age_follow_the_queues():
    samples = scraped()
    assert value(samples, "vividly_rq_queue_depth", queue="low") == 0
    assert value(samples, "vividly_rq_oldest_job_age_seconds", queue="low") == 0

    oldest = queue("low").enqueue("builtins.print", "first")
    queue("low").enqueue("builtins.print", "second")
    oldest.enqueued_at = datetime.now(UTC) - timedelta(minutes=10)
    oldest.save()
    samples = scraped()
    assert value(samples, "vividly_rq_queue_depth", queue="low") == 2
    assert value(samples, "vividly_rq_queue_depth", queue="high") == 0
    assert 600 <= value(samples, "vividly_rq_oldest_job_age_seconds", queue="low") < 660

    queue("low").remove(oldest)
    samples = scraped()
    assert value(samples, "vividly_rq_queue_depth", queue="low") == 1
    assert value(samples, "vividly_rq_oldest_job_age_seconds", queue="low") < 60


def test_redis_memory_of_both_redis():
    client("state").config_set("maxmemory", "0")
    samples = scraped()
    for role in ("cache", "queue"):
        assert value(samples, "vividly_redis_memory_used_bytes", redis=role) > 0
    assert value(samples, "vividly_redis_memory_max_bytes", redis="queue") == 0


def test_a_collector_whose_redis_is_down_is_reported_and_the_others_still_answer(settings):
    settings.CACHES = {
        **settings.CACHES,
        "state": redis_cache(f"redis://127.0.0.1:{free_port()}/0", prefix="x", timeout=None),
    }
    samples = scraped()
    assert value(samples, "vividly_collector_up", collector="rq_queues") == 0
    assert value(samples, "vividly_rq_queue_depth", queue="low") is None
    assert value(samples, "vividly_collector_up", collector="emails") == 1
    assert value(samples, "vividly_emails", status="queued") == 0
