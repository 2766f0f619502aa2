"""Run the periodic notifications sweep until SIGTERM or SIGINT (the service runs it beside the worker)."""

import os
import signal
import socket
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications_app.sweeper import sweeper_run


class Command(BaseCommand):
    help = (
        "Every EMAIL_SWEEP_INTERVAL_SECONDS, put back on their queue the notifications stuck in queued or "
        "sending (what requeue_stuck_notifications does once). Several may run: one sweeps per interval. "
        "A Redis or database outage is logged and the loop goes on."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        owner = f"{socket.gethostname()}:{os.getpid()}"
        self.stdout.write(f"sweeping every {settings.EMAIL_SWEEP_INTERVAL_SECONDS} s as {owner}")
        sweeper_run(owner=owner, wait=stop.wait)
        self.stdout.write("sweeper stopped")
