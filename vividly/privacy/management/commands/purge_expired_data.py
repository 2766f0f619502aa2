"""`purge_expired_data [--dry-run]`: delete what is older than its retention window, in short batches."""

import json

from django.core.management.base import BaseCommand

from vividly.privacy.services import expired_data_purge


class Command(BaseCommand):
    help = (
        "Delete view sessions, notifications and provider events older than their retention windows "
        "(RETENTION_*_DAYS), rolling view sessions up into daily totals first. --dry-run only counts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what is due; delete nothing.")

    def handle(self, *args, **options) -> None:
        run = expired_data_purge(dry_run=options["dry_run"])
        self.stdout.write(
            json.dumps({"dry_run": run.dry_run, "counts": run.counts, "longest_batch_ms": run.longest_batch_ms})
        )
