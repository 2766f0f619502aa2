"""Create a service token for /internal/ and print it alone on the last line."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from vividly.accounts.models import Scope
from vividly.accounts.services import service_token_create
from vividly.errors import DomainError


class Command(BaseCommand):
    help = "Create a service token (shown once; only its hash is stored). No --scope: every scope."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--scope", action="append", choices=Scope.values, dest="scopes", help="Repeat for several scopes."
        )
        parser.add_argument("--expires-in-days", type=int, default=None, help="Default: never expires.")
        parser.add_argument("--send-quota", type=int, default=None, help="Notifications a day. Default: unlimited.")

    def handle(self, *args, **options) -> None:
        days = options["expires_in_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        try:
            token, raw_key = service_token_create(
                name=options["name"],
                scopes=options["scopes"],
                expires_at=timezone.now() + timedelta(days=days) if days is not None else None,
                send_quota=options["send_quota"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(
            f"Created service token {token.name!r} (scopes: {', '.join(token.scopes)}; expires: {expiry}). "
            "It is shown once:"
        )
        self.stdout.write(raw_key)
