"""Deploy checks of the core: production must not fail open on its configuration."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

# Backends that keep mail on the machine (files, the console, memory) instead of sending it;
# the first is the local settings' default when SENDGRID_API_KEY is unset.
UNSENT_MAIL_BACKENDS = {
    "notifications_app.backends.EmlFileBackend",
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
}


@register("vividly", deploy=True)
def mail_is_really_sent(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Error when production would write each email to a file (or nowhere) instead of sending it."""
    if settings.EMAIL_BACKEND not in UNSENT_MAIL_BACKENDS:
        return []
    return [
        Error(
            f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}: emails would be kept on this machine, never sent.",
            hint="Set SENDGRID_API_KEY (and SENDGRID_WEBHOOK_SECRET or SENDGRID_WEBHOOK_VERIFICATION_KEY).",
            id="vividly.E001",
        )
    ]
