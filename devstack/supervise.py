"""Keep one command running: start it again whenever it exits, until SIGTERM or SIGINT.

`python -m devstack.supervise manage.py rqworker high default low --with-scheduler`

A stand-in for what the deployment's process manager does (systemd `Restart=always`,
Kubernetes, Cloud Run): RQ's stock worker quits when Redis fails around a job, and a
new one, once Redis answers, brings its scheduler back. `make run` and the tests use it.
"""

import signal
import subprocess
import sys
import time
from types import FrameType

RESTART_DELAY_SECONDS = 1.0


def supervise(command: list[str]) -> int:
    """Run `command` until a stop signal; return its last exit status."""
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        child = subprocess.Popen(command)
        status = child.wait()
        if stopping:
            return status
        print(f"[supervise] {' '.join(command)} exited with {status}; starting it again", file=sys.stderr, flush=True)
        time.sleep(RESTART_DELAY_SECONDS)
        if stopping:
            return status


if __name__ == "__main__":
    sys.exit(supervise(sys.argv[1:]))
