"""App configuration for the content cache."""

from django.apps import AppConfig


class CacheAppConfig(AppConfig):
    name = "cache_app"
    verbose_name = "Content cache"

    def ready(self) -> None:
        import cache_app.metrics  # registers its collector with vividly.observability
        import cache_app.privacy  # noqa: F401 - registers its kind with the privacy registry
