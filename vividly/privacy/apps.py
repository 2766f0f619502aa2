"""App configuration for privacy (export, erasure, retention, access log)."""

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "vividly.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from vividly.periodic.tasks import periodic_task_register
        from vividly.privacy import access_log  # noqa: F401 - registers the access log's own kind, flushes after requests
        from vividly.privacy.services import expired_data_purge_if_due

        # Hourly look, daily purge: the service records each run and purges when a day has passed.
        periodic_task_register(name="retention-purge", interval_seconds=lambda: 3600, run=expired_data_purge_if_due)
