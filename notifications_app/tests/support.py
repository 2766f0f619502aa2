"""Helpers for the notifications tests: accept a notification the way in-process callers do."""

from typing import Any

from notifications_app.models import Notification
from notifications_app.registry import TEMPLATES
from notifications_app.services import notification_send


def send(template: str = "welcome_student", to: str = "maya@example.edu", **kwargs: Any) -> Notification:
    """Accept a notification through the service, with the template's sample context."""
    kwargs.setdefault("context", TEMPLATES[template].sample)
    return notification_send(to=to, template=template, **kwargs)
