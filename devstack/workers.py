"""Run real RQ workers for the tests: in the test process (`drain`), or as the service runs them,
`manage.py rqworker` (kept running by `devstack.supervise`) beside `manage.py run_sweeper`,
subprocesses on the test database that a test may SIGKILL (`WorkerProcesses`)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection
from django_rq.workers import get_worker

from devstack.sendgrid import SendGridStandIn
from notifications_app.queueing import queue

QUEUES = ("high", "default", "low")
# The settings a worker subprocess runs with: the test settings, on this run's database.
WORKER_SETTINGS = "notifications_app.tests.worker_settings"


def scheduled_due_within(seconds: float) -> int:
    """Return how many scheduled jobs fall due within `seconds` (RQ scores are whole seconds)."""
    horizon = int(time.time() + seconds)
    return sum(
        queue(name).scheduled_job_registry.connection.zcount(queue(name).scheduled_job_registry.key, 0, horizon)
        for name in QUEUES
    )


@contextlib.contextmanager
def signal_handlers_kept() -> Iterator[None]:
    """Put back SIGINT and SIGTERM handlers after an RQ worker installed its own."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def drain(*, wait_for_scheduled: float = 5.0, timeout: float = 15.0) -> None:
    """Run the settings' worker class in burst mode, with its scheduler, until the queues are
    empty and no scheduled job (a retry) falls due within `wait_for_scheduled` seconds."""
    deadline = time.monotonic() + timeout
    with signal_handlers_kept():
        while True:
            get_worker(*QUEUES).work(burst=True, with_scheduler=True, logging_level="WARNING")
            queued = sum(queue(name).count for name in QUEUES)
            if not queued and not scheduled_due_within(wait_for_scheduled):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"queues did not drain: {queued} queued")
            time.sleep(0.05)


def run_one_job() -> bool:
    """Run at most one job that is due now (a scheduled retry included); return True if one ran."""
    with signal_handlers_kept():
        return get_worker(*QUEUES).work(burst=True, with_scheduler=True, max_jobs=1, logging_level="WARNING")


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "", poll: float = 0.1) -> None:
    """Return once `condition()` is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(poll)


def database_url() -> str:
    """Return the URL of the test database, for a subprocess to use the same one."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_tree(pid: int) -> list[int]:
    """Return `pid` and all its descendants (Linux /proc). Not the process group: RQ's
    forking worker puts each work horse in a group of its own (os.setpgrp)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        tree.append(current)
        pending += children.get(current, [])
    return tree


def alive(pid: int) -> bool:
    """Return True while `pid` runs (a killed process not yet reaped is a zombie: dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_tree(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Send `sig` to `process` and all its descendants at once (the machine dies), and reap it."""
    for pid in process_tree(process.pid):
        with contextlib.suppress(ProcessLookupError):  # it may have ended on its own
            os.kill(pid, sig)
    process.wait(timeout=10)


class WorkerProcesses:
    """Start the worker as the service runs it: `manage.py rqworker high default low --with-scheduler`
    under `devstack.supervise` (restarted when it exits), beside `manage.py run_sweeper`, each
    sending to a SendGrid stand-in; `stop_all()` kills whatever is still running."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[subprocess.Popen] = []

    def spawn(self, name: str, command: list[str], environment: dict[str, str]) -> subprocess.Popen:
        with open(self.log_dir / f"{name}-{len(self.started)}.log", "w") as log:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def start(self, sendgrid: SendGridStandIn, **env: str) -> subprocess.Popen:
        """Start one worker and its sweeper; return the worker's supervisor (its process tree is the
        worker: supervisor, rqworker, RQ's scheduler). `env` overrides their environment."""
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": WORKER_SETTINGS,
            "WORKER_DATABASE_URL": database_url(),
            "SENDGRID_API_KEY": sendgrid.api_key,
            "SENDGRID_API_URL": sendgrid.api_url,
            **env,
        }
        worker = self.spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "devstack.supervise",
                sys.executable,
                "manage.py",
                "rqworker",
                *QUEUES,
                "--with-scheduler",
            ],
            environment,
        )
        self.spawn("sweeper", [sys.executable, "manage.py", "run_sweeper"], environment)
        return worker

    def stop_all(self) -> None:
        for process in self.started:
            kill_tree(process)
