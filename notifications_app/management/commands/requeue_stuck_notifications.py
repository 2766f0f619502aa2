"""Put back on their queue the notifications stuck in `queued` or `sending`."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from notifications_app.sweep import notifications_requeue_stuck


class Command(BaseCommand):
    help = (
        "Re-enqueue every notification still queued or sending SECONDS after its last state change "
        "or its scheduled retry time, whichever is later. A sending row is only taken back once no "
        "job can still be running it (twice EMAIL_JOB_TIMEOUT_SECONDS), since that would send it twice. "
        "The running worker does the same by itself every EMAIL_SWEEP_INTERVAL_SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            metavar="SECONDS",
            help=f"default EMAIL_STUCK_AFTER_SECONDS ({settings.EMAIL_STUCK_AFTER_SECONDS})",
        )

    def handle(self, *args: Any, older_than: float | None, **options: Any) -> None:
        if older_than is None:
            older_than = settings.EMAIL_STUCK_AFTER_SECONDS
        if older_than < 0:
            self.stderr.write("--older-than must be 0 or more.")
            raise SystemExit(2)
        count = notifications_requeue_stuck(older_than=older_than)
        self.stdout.write(f"requeued {count} notification(s)")
