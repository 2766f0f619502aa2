"""Signal receivers: SendGrid's tracking webhook feeds provider events to the tracking service."""

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from notifications_app.tracking import provider_event_record
from notifications_app.webhooks import SendGridTrackingView

logger = logging.getLogger("vividly.notifications")


@receiver(tracking, dispatch_uid="notifications_app.tracking_event")
def on_tracking_event(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Record each SendGrid event our webhook parsed; ignore any other provider's.

    Only SendGrid's view is mounted, and only SendGrid's credentials are configured: an
    event from another provider's view was authenticated by nothing we set (anymail's
    Postmark view, say, checks only the shared Basic secret, or nothing), so it must not
    bounce or suppress anything.
    """
    if esp_name != SendGridTrackingView.esp_name:
        logger.warning("tracking event from %s ignored: only SendGrid's webhook is ours", esp_name)
        return
    provider_event_record(event=event)
