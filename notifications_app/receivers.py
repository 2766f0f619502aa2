"""Signal receivers: anymail's tracking webhook feeds provider events to the tracking service."""

from typing import Any

from anymail.signals import AnymailTrackingEvent, tracking
from django.dispatch import receiver

from notifications_app.tracking import provider_event_record


@receiver(tracking, dispatch_uid="notifications_app.tracking_event")
def on_tracking_event(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    """Record each event anymail parsed from a webhook post.

    An exception here makes the webhook answer 500, and SendGrid posts the batch again
    later; events already recorded are then recognised and skipped.
    """
    provider_event_record(event=event)
