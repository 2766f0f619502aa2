"""The notifications sweep and digest run, run by the periodic sweeper (`manage.py run_sweeper`): every
EMAIL_SWEEP_INTERVAL_SECONDS stuck notifications go back on their queue, every
DIGEST_RUN_INTERVAL_SECONDS the daily digests that are due are made.

Why this and a stock RQ worker, not a worker subclass: running the sweep inside the worker
meant overriding RQ's work loop (seven methods and a private attribute of its scheduler) to
keep the worker alive through an outage. Now the worker is RQ's own `SimpleWorker`; when an
outage around a job ends it, the process manager starts it again (in `make run` and the
tests, `devstack.supervise`), and a new worker brings its scheduler back. Every email's
state is in the database, so whatever the outage lost, the sweep puts back.
"""

from django.conf import settings

from notifications_app.digests import digests_send
from notifications_app.sweep import notifications_requeue_stuck
from vividly.periodic.tasks import periodic_task_register

TASK_NAME = "notifications-sweep"
DIGEST_TASK_NAME = "notifications-digests"


def notifications_sweep() -> int:
    """Put back on their queue the notifications stuck longer than EMAIL_STUCK_AFTER_SECONDS."""
    return notifications_requeue_stuck(older_than=settings.EMAIL_STUCK_AFTER_SECONDS)


def notifications_digests() -> int:
    """Make the daily digests whose time (DIGEST_HOUR, the recipient's time zone) has come."""
    return digests_send()


def register() -> None:
    """Register the sweep and the digest run with the periodic sweeper."""
    periodic_task_register(
        name=TASK_NAME, interval_seconds=lambda: settings.EMAIL_SWEEP_INTERVAL_SECONDS, run=notifications_sweep
    )
    periodic_task_register(
        name=DIGEST_TASK_NAME, interval_seconds=lambda: settings.DIGEST_RUN_INTERVAL_SECONDS, run=notifications_digests
    )
