"""Create a user with a role and print their API token alone on the last line.

The password comes from standard input (`--password-stdin`) or the environment
(VIVIDLY_NEW_PASSWORD), never from argv by choice: argv is visible to every user of the
machine (`ps`) and lands in shell history. `--password` still works, with a warning.
"""

import os
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vividly.accounts.models import Role
from vividly.accounts.services import user_create
from vividly.errors import DomainError

PASSWORD_VARIABLE = "VIVIDLY_NEW_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create an API user (student, teacher or admin) and print their token. "
        f"Password: --password-stdin or ${PASSWORD_VARIABLE}; none means the user cannot log in with one."
    )

    # Tests hand in their own stream, as Django's createsuperuser lets them.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--name",
            default="",
            help='Display name, e.g. "Alice Smith" (emails greet by it, never by the username).',
        )
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
        parser.add_argument("--password", default=None, help="Discouraged: visible in `ps` and shell history.")

    def password(self, options: dict) -> str | None:
        if options["password_stdin"]:
            stream = options.get("stdin") or sys.stdin
            return stream.readline().rstrip("\r\n") or None
        if options["password"] is not None:
            self.stderr.write(
                f"Warning: --password is visible to other users (ps, shell history); "
                f"use --password-stdin or ${PASSWORD_VARIABLE}."
            )
            return options["password"]
        return os.environ.get(PASSWORD_VARIABLE) or None

    def handle(self, *args, **options) -> None:
        try:
            user, token = user_create(
                username=options["username"],
                role=options["role"],
                email=options["email"],
                password=self.password(options),
                display_name=options["name"],
            )
        except DomainError as exc:
            raise CommandError(f"{exc.message} {exc.details or ''}".strip()) from exc
        self.stdout.write(f"Created {user.role} {user.username!r} (id {user.pk}). API token:")
        self.stdout.write(token)
