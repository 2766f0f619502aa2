"""Races on the real database: concurrent misses open one job, concurrent claimers never share one."""

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from cache_app.types import cache_key_for
from generation_app.models import GenerationJob
from generation_app.services import generation_demand_join, generation_jobs_claim
from generation_app.tests.factories import job_triple, open_job

pytestmark = pytest.mark.django_db(transaction=True)


def run_concurrently(function, count: int) -> list:
    """Run `function(index)` in `count` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = function(index)
        except Exception as exc:  # noqa: BLE001 - the test asserts on it
            results[index] = exc
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_twenty_concurrent_misses_open_one_job_with_demand_twenty():
    fields = job_triple()
    cache_key = cache_key_for(**fields)

    def miss(index: int) -> None:
        # As delivery does: inside the transaction that records the pending request.
        with transaction.atomic():
            generation_demand_join(cache_key=cache_key, **fields)

    results = run_concurrently(miss, 20)
    assert results == [None] * 20
    (job,) = GenerationJob.objects.filter(cache_key=cache_key)
    assert (job.status, job.demand) == ("queued", 20)


def test_eight_concurrent_claimers_on_fifty_jobs_never_share_one_and_hand_out_all():
    jobs = {open_job().pk for _ in range(50)}

    def claimer(index: int) -> list:
        mine = []
        while batch := generation_jobs_claim(worker=f"gpu-{index}", lease_seconds=600, max_jobs=3):
            mine.extend((job.pk, job.lease_token) for job in batch)
        return mine

    results = run_concurrently(claimer, 8)
    assert not [result for result in results if isinstance(result, Exception)], results
    handed_out = Counter(pk for claims in results for pk, _ in claims)
    assert set(handed_out) == jobs
    assert max(handed_out.values()) == 1
    leases = {job.pk: job.lease_token for job in GenerationJob.objects.all()}
    assert all(leases[pk] == token for claims in results for pk, token in claims)
    assert GenerationJob.objects.filter(status="leased", attempts=1).count() == 50
