"""App configuration for the content cache."""

from django.apps import AppConfig


class CacheAppConfig(AppConfig):
    name = "cache_app"
    verbose_name = "Content cache"
