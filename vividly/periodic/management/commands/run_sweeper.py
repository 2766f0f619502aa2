"""Run every registered periodic task until SIGTERM or SIGINT (the service runs it beside the worker)."""

import os
import signal
import socket
import threading
from typing import Any

from django.core.management.base import BaseCommand

from vividly.periodic.tasks import periodic_run, periodic_tasks


class Command(BaseCommand):
    help = (
        "Run the service's periodic tasks (the notifications sweep, expired generation leases, the daily "
        "retention purge) each at its interval. Several may run: one acts per task and interval. "
        "A Redis or database outage is logged and the loop goes on."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        owner = f"{socket.gethostname()}:{os.getpid()}"
        names = ", ".join(f"{task.name} every {task.interval_seconds():g} s" for task in periodic_tasks())
        self.stdout.write(f"sweeper {owner}: {names}")
        periodic_run(owner=owner, wait=stop.wait)
        self.stdout.write("sweeper stopped")
