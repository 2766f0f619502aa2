"""Take back expired generation leases once (the running service's periodic sweep calls the same service)."""

from typing import Any

from django.core.management.base import BaseCommand

from generation_app.services import generation_leases_reclaim


class Command(BaseCommand):
    help = "Requeue (or fail, when out of attempts) every generation job whose lease expired."

    def handle(self, *args: Any, **options: Any) -> None:
        reclaimed = generation_leases_reclaim()
        self.stdout.write(f"Reclaimed {reclaimed} expired lease{'' if reclaimed == 1 else 's'}.")
