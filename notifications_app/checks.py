"""System checks: SendGrid's tracking webhook must not accept events from anyone; a Reply-To must be an address."""

from email.utils import getaddresses
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

PRODUCTION_SETTINGS = "vividly.settings.production"
MESSAGE = "SendGrid's tracking webhook (/anymail/sendgrid/tracking/) accepts events from anyone."
HINT = (
    "Set SENDGRID_WEBHOOK_SECRET (user:password, for HTTP Basic auth) and, for signed "
    "webhooks, SENDGRID_WEBHOOK_VERIFICATION_KEY."
)


@register(Tags.security)
def tracking_webhook_is_protected(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse production settings (an Error: no command starts) when SendGrid sends for real but
    its event webhook has neither Basic auth nor a signature key; elsewhere, warn.

    Forged events could mark emails delivered, or bounce addresses into the suppression list.
    A check run on every start, not only by `check --deploy`, which a deploy may skip.
    """
    anymail = getattr(settings, "ANYMAIL", {})
    if not anymail.get("SENDGRID_API_KEY"):
        return []
    if anymail.get("WEBHOOK_SECRET") or anymail.get("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY"):
        return []
    if settings.SETTINGS_MODULE == PRODUCTION_SETTINGS:
        return [Error(MESSAGE, hint=HINT, id="notifications.E001")]
    return [Warning(MESSAGE, hint=HINT, id="notifications.W001")]


@register()
def reply_to_is_an_address(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Refuse a SENDGRID_REPLY_TO that is not one address: every email would be refused by SendGrid."""
    reply_to = getattr(settings, "SENDGRID_REPLY_TO", "")
    if not reply_to:
        return []
    addresses = [address for _, address in getaddresses([reply_to])]
    try:
        if len(addresses) != 1:
            raise ValidationError("not one address")
        validate_email(addresses[0])
    except ValidationError:
        return [
            Error(
                f"SENDGRID_REPLY_TO is not an email address: {reply_to!r}.",
                hint="Use office@school.edu or 'School Office <office@school.edu>', or leave it unset.",
                id="notifications.E002",
            )
        ]
    return []
