"""The worker reads JSON jobs only: a pickle written to the queue Redis never runs code (issue 10)."""

import os

import pytest
from django_rq.workers import get_worker
from rq import Queue, SimpleWorker
from rq.serializers import DefaultSerializer, JSONSerializer

from vividly.redis_guard import client
from vividly.rq_worker import Worker

pytestmark = pytest.mark.django_db


class Payload:
    """What an attacker with write access to Redis would put in a job: unpickling runs os.mkdir."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def plant_pickled_job(path: str) -> None:
    Queue("default", connection=client("state"), serializer=DefaultSerializer).enqueue("builtins.print", Payload(path))


def test_the_worker_is_rqs_in_process_worker_reading_json_even_when_handed_pickle():
    worker = get_worker("high", "default", "low", serializer=DefaultSerializer)  # what `rqworker` passes by default
    assert type(worker) is Worker and isinstance(worker, SimpleWorker)
    assert worker.serializer is JSONSerializer


def test_a_pickled_job_planted_in_redis_runs_no_code(tmp_path):
    planted = tmp_path / "planted"
    plant_pickled_job(str(planted))
    get_worker("default").work(burst=True, logging_level="CRITICAL")
    assert not planted.exists()

    # The same job read the way RQ reads by default does run the attacker's code.
    control = tmp_path / "control"
    plant_pickled_job(str(control))
    SimpleWorker(["default"], connection=client("state"), serializer=DefaultSerializer).work(
        burst=True, logging_level="CRITICAL"
    )
    assert control.exists()
