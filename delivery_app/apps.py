"""App configuration for content delivery."""

from django.apps import AppConfig


class DeliveryAppConfig(AppConfig):
    name = "delivery_app"
    verbose_name = "Content delivery"

    def ready(self) -> None:
        import delivery_app.privacy  # noqa: F401 - registers its kinds with the privacy registry
        from delivery_app import receivers  # noqa: F401 - connects the receivers
