"""Print the shared cache statistics, or reset them."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cache_app import selectors, services
from vividly.errors import DomainError


class Command(BaseCommand):
    help = "Show the content cache statistics (counters, hit rate, latency percentiles)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--reset", action="store_true", help="zero the counters first")

    def handle(self, *args, **options) -> None:
        try:
            if options["reset"]:
                services.cache_stats_reset()
            stats = selectors.cache_stats()
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(stats, indent=2))
            return
        self.stdout.write(f"since          {stats['since'] or 'the first lookup'}")
        for name in (
            "lookups",
            "hot_hits",
            "cold_hits",
            "misses",
            "stores",
            "invalidations",
            "hot_errors",
            "cold_errors",
        ):
            self.stdout.write(f"{name:<14} {stats[name]}")
        self.stdout.write(f"{'hit_rate':<14} {stats['hit_rate']:.3f}")
        processes = stats["processes"]
        self.stdout.write(f"{'processes':<14} {processes['answered']} of {processes['asked']} flushed for this read")
        for tier, numbers in stats["latency"].items():
            p50, p95 = numbers["p50_ms"], numbers["p95_ms"]
            shown = f"p50 {p50:.2f} ms, p95 {p95:.2f} ms" if p50 is not None else "no samples"
            self.stdout.write(f"{tier + ' latency':<14} {shown} ({numbers['samples']} samples)")
