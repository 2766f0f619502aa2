"""Create a service token for /internal/ and print it alone on the last line."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vividly.accounts.services import service_token_create
from vividly.errors import DomainError


class Command(BaseCommand):
    help = "Create a service token (shown once; only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args, **options) -> None:
        try:
            token, raw_key = service_token_create(name=options["name"])
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created service token {token.name!r}. It is shown once:")
        self.stdout.write(raw_key)
