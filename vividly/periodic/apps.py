"""App configuration for the periodic sweeper (`manage.py run_sweeper`)."""

from django.apps import AppConfig


class PeriodicConfig(AppConfig):
    name = "vividly.periodic"
    label = "periodic"
    verbose_name = "Periodic tasks"
