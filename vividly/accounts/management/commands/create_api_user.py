"""Create a user with a role and print their API token alone on the last line."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vividly.accounts.models import Role
from vividly.accounts.services import user_create
from vividly.errors import DomainError


class Command(BaseCommand):
    help = "Create an API user (student, teacher or admin) and print their token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)

    def handle(self, *args, **options) -> None:
        try:
            user, token = user_create(
                username=options["username"],
                role=options["role"],
                email=options["email"],
                password=options["password"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        self.stdout.write(f"Created {user.role} {user.username!r} (id {user.pk}). API token:")
        self.stdout.write(token)
