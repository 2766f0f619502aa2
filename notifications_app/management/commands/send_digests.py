"""Make the daily digests that are due (or, with --now, every open one) and queue them."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifications_app.digests import digests_send


class Command(BaseCommand):
    help = (
        "Fold each daily-digest recipient's held content_ready emails into one content_ready_digest email, "
        "for every recipient whose DIGEST_HOUR (in their time zone) has come; --now: every open digest at once. "
        "The running service does the same every DIGEST_RUN_INTERVAL_SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="send every open digest now, whatever the hour")

    def handle(self, *args: Any, now: bool, **options: Any) -> None:
        count = digests_send(everything=now)
        self.stdout.write(f"queued {count} digest(s)")
