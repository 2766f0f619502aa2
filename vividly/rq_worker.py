"""The RQ worker class `rqworker` runs (settings.RQ["WORKER_CLASS"]): RQ's SimpleWorker, reading JSON jobs.

Why JSON: RQ pickles jobs by default, so anyone able to write to the queue Redis could run
code in every worker. Queues are configured with `rq.serializers.JSONSerializer`
(settings.RQ_QUEUES), and `rqworker` hands the worker pickle unless told otherwise on every
command line; this class takes the constructor's documented `serializer` argument instead,
so no deployment can forget it. Besides that, `execute_job` only binds the job's request id
(vividly/observability/rq.py) for its log lines (checked against rq 3.0).

Why SimpleWorker (jobs in the worker's own process): a fork per job cost ~60 ms here, and
each fresh work horse opened a new connection to the provider. The periodic sweep runs
beside it (`manage.py run_sweeper`); when an outage around a job ends this worker, the
process manager starts it again.

Why a maintenance interval of our own (RQ_MAINTENANCE_INTERVAL_SECONDS, the constructor's
documented `maintenance_interval`): RQ's scheduler is a child process that dies when Redis goes
away, and a worker that rides the outage out (it was waiting for a job, not around one) starts
it again only at its next maintenance run, by default up to ten minutes later; until then
retries waiting in the scheduler's registry were left to the sweep. Maintenance also cleans
the registries, a few Redis calls per queue under one worker's lock.
"""

from typing import Any

from django.conf import settings
from rq import SimpleWorker
from rq.job import Job
from rq.queue import Queue
from rq.serializers import JSONSerializer

from vividly.observability.request_id import request_id_bound
from vividly.observability.rq import META_KEY


class Worker(SimpleWorker):
    def __init__(self, *args: Any, serializer: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", settings.RQ_MAINTENANCE_INTERVAL_SECONDS)
        super().__init__(*args, serializer=JSONSerializer, **kwargs)

    def execute_job(self, job: Job, queue: Queue) -> Any:
        # The job's log lines carry the X-Request-ID of the request that enqueued it.
        with request_id_bound(job.meta.get(META_KEY)):
            return super().execute_job(job, queue)
