"""The service as it runs for real, in subprocesses: gunicorn, `rqworker` and `run_sweeper`, with local settings.

Used by the end-to-end test and `make demo`: the children read everything from the
environment, exactly as a user's `make run` would, pointed at a given database, Redis,
data folder and SendGrid stand-in.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devstack.launcher import WORKER_COMMAND, free_port

BASE_DIR = Path(__file__).resolve().parent.parent


class Stack:
    """gunicorn, an RQ worker and the sweeper sharing one database, Redis and data folder."""

    def __init__(self, *, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "vividly.settings.local",
            "VIVIDLY_DATA_DIR": str(data_dir),
            "PUBLIC_BASE_URL": self.url,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            **env,
        }
        self.processes: list[subprocess.Popen] = []
        self.logs = data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                command, cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def start_web(self, workers: int = 2) -> subprocess.Popen:
        process = self.spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "vividly.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
            ],
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310 - our loopback URL
                    return process
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start; see {self.logs / 'web.log'}")

    def start_worker(self) -> subprocess.Popen:
        """Start the worker (kept running by `devstack.supervise`) and the sweeper beside it."""
        worker = self.spawn("worker", [sys.executable, "-m", "devstack.supervise", *WORKER_COMMAND])
        self.spawn("sweeper", [sys.executable, "manage.py", "run_sweeper"])
        return worker

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.processes.clear()
