"""Run the generator stand-in against a running service (developer tooling: `make run` starts it)."""

import logging
import os
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from devstack.generator_stub import GeneratorStub

TOKEN_NAME = "generator-stub"


class Command(BaseCommand):
    help = "Claim generation jobs over HTTP, upload sample assets, heartbeat and complete them."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--base-url", default=settings.PUBLIC_BASE_URL)
        parser.add_argument(
            "--token",
            default=os.environ.get("VIVIDLY_GENERATOR_TOKEN", ""),
            help="A service token (default: $VIVIDLY_GENERATOR_TOKEN, else a fresh one is created).",
        )
        parser.add_argument("--poll", type=float, default=2.0, help="Seconds between claims when idle.")
        parser.add_argument("--lease-seconds", type=int, default=60)
        parser.add_argument("--once", action="store_true", help="Claim and make what is due once, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("devstack.generator_stub").setLevel(logging.INFO)
        stub = GeneratorStub(
            base_url=options["base_url"].rstrip("/"),
            service_key=options["token"] or self.fresh_token(),
            lease_seconds=options["lease_seconds"],
        )
        if options["once"]:
            done = stub.run_once()
            self.stdout.write(f"Generated {len(done)} video{'' if len(done) == 1 else 's'}.")
            return
        self.stdout.write(f"Generator stub polling {stub.base_url} every {options['poll']} s. Ctrl-C stops it.")
        try:
            stub.run_forever(poll_seconds=options["poll"], stop=threading.Event())
        except KeyboardInterrupt:
            pass

    def fresh_token(self) -> str:
        from vividly.accounts.models import ServiceToken
        from vividly.accounts.services import service_token_create

        # A key is only shown at creation: replace the stub's token on each start.
        ServiceToken.objects.filter(name=TOKEN_NAME).delete()
        return service_token_create(name=TOKEN_NAME)[1]
