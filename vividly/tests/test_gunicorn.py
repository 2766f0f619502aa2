"""The repository's gunicorn.conf.py, run for real: slow clients, chunked bodies, access logs."""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """gunicorn as `gunicorn vividly.wsgi:application` starts it: the conf file read from the working directory."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "access.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "vividly.settings.test", "GUNICORN_ACCESS_LOG": str(log)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "vividly.wsgi:application", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while healthz_seconds(port) is None:
        assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.1)
    yield port, log
    process.terminate()
    process.wait(timeout=30)


def healthz_seconds(port: int, query: str = "") -> float | None:
    """Return how long GET /healthz took, or None when nothing answered."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", f"/healthz{query}")
        if connection.getresponse().status != 200:
            return None
    except OSError:
        return None
    finally:
        connection.close()
    return time.monotonic() - started


def test_fifty_clients_sending_a_byte_a_second_do_not_delay_healthz(server):
    port, _ = server
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"a" * 200 + b"\r\n\r\n"
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
    stop = threading.Event()

    def trickle() -> None:
        for index in range(len(request)):
            for connection in slow:
                connection.send(request[index : index + 1])
            if stop.wait(1.0):
                return

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        time.sleep(1.5)  # every slow client has started its request
        timings = []
        for _ in range(10):
            timings.append(healthz_seconds(port))
            time.sleep(0.3)
        assert all(t is not None and t < 1.0 for t in timings), timings
    finally:
        stop.set()
        trickler.join()
        for connection in slow:
            connection.close()


def raw_exchange(port: int, head: bytes, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(head + body)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.parametrize("path", ["/internal/v1/cache/check", "/api/v1/auth/token", "/anymail/sendgrid/tracking/"])
def test_a_chunked_body_is_refused_with_411_never_read_as_empty(server, path):
    port, _ = server
    body = b'{"username": "someone", "password": "secret"}'
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = raw_exchange(port, head, b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert answer.startswith(b"HTTP/1.1 411"), answer[:200]


def test_the_access_log_never_holds_a_query_string(server):
    port, log = server
    assert healthz_seconds(port, "?expires=1&signature=very-secret-signature") is not None
    deadline = time.monotonic() + 5
    while "/healthz" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "nothing was logged"
        time.sleep(0.1)
    text = log.read_text()
    assert "very-secret-signature" not in text
    assert "expires=" not in text
