"""Helpers for the notifications tests (the SendGrid stand-in fixture is in the root conftest)."""

from typing import Any

from devstack.sendgrid_webhook import webhook_secret  # noqa: F401 - a fixture of the webhook tests
from devstack.workers import QUEUES, drain, scheduled_due_within  # noqa: F401 - used by the tests
from notifications_app.models import Notification
from notifications_app.registry import TEMPLATES
from notifications_app.services import notification_send


def send(template: str = "welcome_student", to: str = "maya@example.edu", **kwargs: Any) -> Notification:
    """Accept a notification through the service, with the template's sample context."""
    kwargs.setdefault("context", TEMPLATES[template].sample)
    return notification_send(to=to, template=template, **kwargs)
