"""`erase_user USERNAME`: erase a user and every row about them (the same service as the API)."""

import json

from django.core.management.base import BaseCommand, CommandError

from vividly.errors import NotFound
from vividly.privacy.services import user_erase


class Command(BaseCommand):
    help = "Erase a user and every row about them in the database and Redis; print the counts per kind."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, **options) -> None:
        try:
            erased = user_erase(username=options["username"], actor=None)
        except NotFound as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(json.dumps({"erased": erased}))
