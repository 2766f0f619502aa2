"""App configuration for privacy (export, erasure, retention, access log)."""

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "vividly.privacy"
    label = "privacy"
    verbose_name = "Privacy"

    def ready(self) -> None:
        from vividly.privacy import access_log  # noqa: F401 - registers the access log's own kind, flushes after requests
