"""App configuration for notifications."""

import warnings

from django.apps import AppConfig


class NotificationsAppConfig(AppConfig):
    name = "notifications_app"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from anymail.exceptions import AnymailNotSupportedWarning

        import notifications_app.metrics  # registers its collector with vividly.observability
        import notifications_app.privacy  # noqa: F401 - registers its kinds with the privacy registry
        from notifications_app import checks, receivers, sweeper  # noqa: F401 - registers the checks, connects the receiver

        sweeper.register()

        # anymail warns each time a SendGrid backend or webhook view is created. Every RQ
        # work horse is a fresh fork, so that is one warning line per email sent. We chose
        # to keep SendGrid (see anymail.W003 in settings); our wire-level tests vouch for it.
        warnings.filterwarnings("ignore", category=AnymailNotSupportedWarning)
