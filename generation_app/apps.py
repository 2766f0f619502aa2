"""App configuration for the generation queue."""

from django.apps import AppConfig


class GenerationAppConfig(AppConfig):
    name = "generation_app"
    verbose_name = "Generation queue"

    def ready(self) -> None:
        from generation_app import receivers  # noqa: F401 - connects the receivers
