"""Start private redis-server processes for tests that stop, pause or restart Redis."""

import subprocess
import tempfile
import time
from pathlib import Path

from devstack.launcher import free_port, redis_answers, redis_server_binary


def answers(port: int) -> bool:
    return redis_answers("127.0.0.1", port)


class RedisServer:
    """A redis-server on a free loopback port that a test may stop and start again."""

    def __init__(self, *extra_args: str) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="vividly-redis-"))
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
                "--save",
                "",
                "--appendonly",
                "no",
                *self.extra_args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not answers(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
