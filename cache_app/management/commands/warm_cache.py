"""Load the most requested entries from the cold tier into the hot tier (after a Redis restart)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cache_app import services
from vividly.errors import DomainError


class Command(BaseCommand):
    help = "Warm the hot tier with the most requested entries (then the newest ones)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=1000, help="how many entries (default 1000)")

    def handle(self, *args, **options) -> None:
        if options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        try:
            result = services.cache_warm(limit=options["limit"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Warmed {result.warmed} entries; {result.already_hot} were already hot; "
            f"{result.missing} were not in the cold tier."
        )
