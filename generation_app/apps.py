"""App configuration for the generation queue."""

from django.apps import AppConfig


class GenerationAppConfig(AppConfig):
    name = "generation_app"
    verbose_name = "Generation queue"

    def ready(self) -> None:
        from django.conf import settings

        import generation_app.metrics  # noqa: F401 - registers its collector with vividly.observability
        from generation_app import receivers  # noqa: F401 - connects the receivers
        from generation_app.services import generation_leases_reclaim
        from vividly.periodic.tasks import periodic_task_register

        # Expired leases are also reclaimed at claim time; this covers a queue no one claims from.
        periodic_task_register(
            name="generation-leases",
            interval_seconds=lambda: settings.GENERATION_SWEEP_INTERVAL_SECONDS,
            run=generation_leases_reclaim,
        )
