"""System checks: SendGrid's tracking webhook must not accept events from anyone."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def tracking_webhook_is_protected(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when SendGrid sends for real but its event webhook has neither Basic auth nor a signature key.

    Forged events could mark emails delivered, or bounce addresses into the suppression list.
    """
    anymail = getattr(settings, "ANYMAIL", {})
    if not anymail.get("SENDGRID_API_KEY"):
        return []
    if anymail.get("WEBHOOK_SECRET") or anymail.get("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"):
        return []
    return [
        Warning(
            "SendGrid's tracking webhook (/anymail/sendgrid/tracking/) accepts events from anyone.",
            hint="Set SENDGRID_WEBHOOK_SECRET (user:password, for HTTP Basic auth) and, for signed "
            "webhooks, SENDGRID_WEBHOOK_VERIFICATION_KEY.",
            id="notifications.W001",
        )
    ]
