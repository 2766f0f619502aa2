"""App configuration for content delivery."""

from django.apps import AppConfig


class DeliveryAppConfig(AppConfig):
    name = "delivery_app"
    verbose_name = "Content delivery"
