"""The notifications sweep as the periodic sweeper runs it: lost rows go back on their queue,
at EMAIL_SWEEP_INTERVAL_SECONDS."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications_app.models import Notification
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from notifications_app.sweeper import TASK_NAME
from vividly.periodic.tasks import periodic_task_run_once, periodic_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def lost() -> Notification:
    """Save a queued notification whose job never reached Redis, ten minutes ago."""
    then = timezone.now() - timedelta(minutes=10)
    sample = TEMPLATES["welcome_student"].sample
    return Notification.objects.create(
        to="maya@example.edu", template="welcome_student", context=sample, status_changed_at=then
    )


def test_the_registered_sweep_requeues_lost_rows_at_its_interval(settings):
    settings.EMAIL_SWEEP_INTERVAL_SECONDS = 45
    [task] = [task for task in periodic_tasks() if task.name == TASK_NAME]
    assert task.interval_seconds() == 45
    lost()
    assert periodic_task_run_once(task, owner="host-a:1") == 1
    assert queue("default").count == 1
