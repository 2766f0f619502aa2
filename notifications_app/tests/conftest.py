"""Fixtures for notifications: a SendGrid stand-in at the wire, real RQ workers on real Redis."""

import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django_rq.workers import get_worker

from notifications_app.models import Notification
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from notifications_app.services import notification_send
from vividly.testing.sendgrid import SendGridStandIn

QUEUES = ("high", "default", "low")


@pytest.fixture
def sendgrid(settings) -> Iterator[SendGridStandIn]:
    """Send through anymail's real SendGrid backend to a local stand-in of its v3 API."""
    with SendGridStandIn() as stand_in:
        settings.EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
        settings.ANYMAIL = {
            **settings.ANYMAIL,
            "SENDGRID_API_KEY": stand_in.api_key,
            "SENDGRID_API_URL": stand_in.api_url,
            # Short, so a scripted hang is a timeout within the test's patience.
            "REQUESTS_TIMEOUT": (1.0, 0.5),
        }
        yield stand_in


@pytest.fixture
def fast_retries(settings) -> list[float]:
    settings.EMAIL_RETRY_DELAYS = [0.1, 0.1, 0.1]
    return settings.EMAIL_RETRY_DELAYS


def scheduled_due_within(seconds: float) -> int:
    """Return how many scheduled jobs fall due within `seconds` (RQ scores are whole seconds)."""
    horizon = int(time.time() + seconds)
    return sum(
        queue(name).scheduled_job_registry.connection.zcount(queue(name).scheduled_job_registry.key, 0, horizon)
        for name in QUEUES
    )


def drain(*, wait_for_scheduled: float = 5.0, timeout: float = 15.0) -> None:
    """Run the settings' worker class in burst mode, with its scheduler, until the queues are
    empty and no scheduled job (a retry) falls due within `wait_for_scheduled` seconds."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    deadline = time.monotonic() + timeout
    try:
        while True:
            get_worker(*QUEUES).work(burst=True, with_scheduler=True, logging_level="WARNING")
            queued = sum(queue(name).count for name in QUEUES)
            if not queued and not scheduled_due_within(wait_for_scheduled):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"queues did not drain: {queued} queued")
            time.sleep(0.05)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def send(template: str = "welcome_student", to: str = "maya@example.edu", **kwargs: Any) -> Notification:
    """Accept a notification through the service, with the template's sample context."""
    kwargs.setdefault("context", TEMPLATES[template].sample)
    return notification_send(to=to, template=template, **kwargs)
