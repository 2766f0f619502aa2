"""A revocation made through one instance is refused by every instance (each port hit directly) within 1 s."""

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from devstack.cluster import BASE_DIR, WEB_INSTANCES
from tests.cluster.support import call, log_in, service, unique_entry

pytestmark = pytest.mark.cluster

BOUND_SECONDS = 1.0
PATH = "/api/v1/content/requests"
# How long the instances are watched after a revocation.
WATCH_SECONDS = 2.5


def warm(cluster, path: str, token: str, expected: int = 200) -> None:
    """Ask every instance (both workers: new connections) so each process remembers the grant."""
    for index in range(WEB_INSTANCES):
        for _ in range(6):
            assert call(cluster.web_url(index), "GET", path, token=token).status_code == expected


def refusal_delays(cluster, path: str, token: str, refused: int, revoke: Callable[[], float]) -> list[float]:
    """Poll every instance while `revoke()` runs; return, per instance, how long after the revocation
    (the time `revoke()` returns) it began answering `refused`, and never anything else after."""
    polls: list[list[tuple[float, float, int]]] = [[] for _ in range(WEB_INSTANCES)]
    stop = threading.Event()

    def watch(index: int) -> None:
        while not stop.is_set():
            asked = time.time()
            status = call(cluster.web_url(index), "GET", path, token=token).status_code
            polls[index].append((asked, time.time(), status))

    threads = [threading.Thread(target=watch, args=(index,)) for index in range(WEB_INSTANCES)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        started = time.time()
        since = revoke()
        time.sleep(WATCH_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    delays = []
    for index, answers in enumerate(polls):
        # Answered before the revocation began: still granted (a request asked just before it may be
        # answered after it, refused, which is right).
        assert all(status != refused for _, answered, status in answers if answered < started), f"web{index + 1}"
        last_granted = max((asked for asked, _, status in answers if status != refused), default=since)
        later = [asked for asked, _, status in answers if asked > last_granted]
        assert len(later) >= 5, f"web{index + 1} still answers after {WATCH_SECONDS} s"
        delays.append(max(0.0, min(later) - since))
    return delays


def test_a_logout_through_one_instance_is_refused_by_every_instance_within_a_second(cluster):
    token = log_in(cluster, "alice")
    warm(cluster, PATH, token)

    def log_out() -> float:
        since = time.time()
        assert call(cluster.web_url(0), "DELETE", "/api/v1/auth/token", token=token).status_code == 204
        return since

    delays = refusal_delays(cluster, PATH, token, 401, log_out)

    print(f"\nlogout on web1 refused after: {', '.join(f'web{i + 1} {d:.3f} s' for i, d in enumerate(delays))}")
    assert max(delays) <= BOUND_SECONDS


def test_an_unenrolment_stops_the_teacher_seeing_that_student_on_every_instance_within_a_second(cluster):
    username, password = f"cluster-student-{uuid.uuid4().hex[:8]}", "cluster-Pw-2026-xyz"
    # The contract's commands, as an operator would run them.
    cluster.manage("create_api_user", username, "--role", "student", "--password", password)
    cluster.manage("enroll", "--teacher", "ms_rivera", "--student", username, "--classroom", "Cluster class")
    entry = unique_entry()
    assert call(cluster.entry_url, "POST", "/internal/v1/cache/store", token=service(cluster), body=entry).ok
    triple = {name: entry[name] for name in ("topic_id", "interest", "style")}
    created = call(
        cluster.entry_url, "POST", "/api/v1/content/requests", token=log_in(cluster, username, password), body=triple
    )
    assert created.status_code == 201, created.text
    teacher = cluster.credentials["TEACHER"]
    url = f"/api/v1/content/{created.json()['cache_key']}/url"
    warm(cluster, url, teacher)

    # An operator's shell on the production settings, started first: its boot is no part of the delay.
    shell = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "import sys, time; from vividly.accounts.models import Enrollment; sys.stdin.readline(); "
            f"Enrollment.objects.filter(student__username='{username}').delete(); print(time.time(), flush=True)",
        ],
        cwd=BASE_DIR,
        env=cluster.environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # Django has booted

    def unenrol() -> float:
        shell.stdin.write("go\n")
        shell.stdin.flush()
        return float(shell.stdout.readline())  # the shell prints nothing else at -v 0

    delays = refusal_delays(cluster, url, teacher, 404, unenrol)
    shell.wait(timeout=30)

    print(f"\nunenrolment refused after: {', '.join(f'web{i + 1} {d:.3f} s' for i, d in enumerate(delays))}")
    assert max(delays) <= BOUND_SECONDS
