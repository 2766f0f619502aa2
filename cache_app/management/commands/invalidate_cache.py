"""Remove cache entries from both tiers, by key, by topic, or all; no prompt (used in scripts)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cache_app import selectors, services
from cache_app.keys import cache_key_errors, key_field_errors
from vividly.errors import DomainError


class Command(BaseCommand):
    help = "Invalidate cache entries in both tiers (--key K | --topic T | --all) [--dry-run]."

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--key", help="one cache key (64 hex characters)")
        target.add_argument("--topic", help="every entry of this topic_id")
        target.add_argument("--all", action="store_true", help="every entry")
        parser.add_argument("--dry-run", action="store_true", help="list what would be removed")

    def handle(self, *args, **options) -> None:
        if options["key"] is not None and (errors := cache_key_errors(options["key"])):
            raise CommandError(f"--key: {' '.join(errors)}")
        if options["topic"] is not None and (errors := key_field_errors(options["topic"])):
            raise CommandError(f"--topic: {' '.join(errors)}")
        try:
            keys = selectors.invalidation_targets(
                cache_key=options["key"],
                topic_id=options["topic"],
                everything=options["all"],
            )
            if not options["dry_run"]:
                keys = services.cache_entries_invalidate(cache_keys=keys)
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        for key in keys:
            self.stdout.write(key)
        verb = "Would invalidate" if options["dry_run"] else "Invalidated"
        self.stdout.write(f"{verb} {len(keys)} entr{'y' if len(keys) == 1 else 'ies'}.")
