"""RQ's queue class (settings.RQ["QUEUE_CLASS"]): a job enqueued during a request keeps its X-Request-ID.

The id goes into the job's meta; the worker (vividly.rq_worker) binds it while the job
runs, so the job's log lines carry the id of the request that asked for the work.
"""

from typing import Any

from django_rq.queues import DjangoRQ
from rq.job import Job

from vividly.observability.request_id import current_request_id

META_KEY = "request_id"


class RequestIdQueue(DjangoRQ):
    def create_job(self, *args: Any, meta: dict | None = None, **kwargs: Any) -> Job:
        request_id = current_request_id()
        if request_id is not None and META_KEY not in (meta or {}):
            meta = {**(meta or {}), META_KEY: request_id}
        return super().create_job(*args, meta=meta, **kwargs)
