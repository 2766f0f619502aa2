"""`make cluster`: the production shape on one machine, a load balancer in front of three gunicorns.

HAProxy (nginx when HAProxy is missing) → three gunicorn instances with the production
settings (2 workers each, one port each), two RQ workers, the periodic sweeper, a hot-tier
Redis (`allkeys-lru`, `maxmemory`) and a queue Redis (`noeviction`, AOF), PostgreSQL
(`DATABASE_URL`, or a throwaway one made with `initdb` under var/), local storage folders
shared by every instance (as a bucket is), and the SendGrid stand-in as the email provider.

Demo data: `seed_demo` refuses the production settings (it creates a well-known admin
password) and that guard stays. It runs with the *local* settings against the same database,
Redis and folders before any production process starts; the load test's students come the
same way (`devstack.cluster_seed`). Production processes then only ever see rows in a database.

Every child runs in a process group of its own, so Ctrl-C (or SIGTERM) stops each of them and
everything they started; a child that dies meanwhile is reported and left dead (the balancer
routes around a dead instance, which is the point).

Used by `make cluster` and by the cluster tests (tests/cluster/), which drive a `Cluster`.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devstack.cluster_parts import Ports, ThrowawayPostgres, balancer_command, redis_command, wait_for
from devstack.launcher import WORKER_COMMAND, redis_answers
from devstack.sendgrid import SendGridStandIn

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PRODUCTION = "vividly.settings.production"
LOCAL = "vividly.settings.local"
WEB_INSTANCES = 3
WORKERS = 2
DEMO_PASSWORD = "vividly-demo-2026"  # seed_demo's; the load-test students share it


def log(message: str) -> None:
    print(f"[cluster] {message}", flush=True)


def answers(url: str, status: int = 200) -> bool:
    """Return True when `url` answers with `status`."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our loopback URLs
            return response.status == status
    except OSError:  # refused, timed out, or an HTTP error status (HTTPError is an OSError)
        return False


class Cluster:
    """The topology, started by `start()` and stopped (every process group) by `stop()`."""

    def __init__(
        self,
        *,
        folder: Path,
        base_port: int = 7100,
        database_url: str | None = None,
        students: int = 0,
        env: dict[str, str] | None = None,
        hot_maxmemory: str = "64mb",
    ) -> None:
        self.folder = folder.resolve()
        self.ports = Ports(base_port)
        self.database_url = database_url
        self.students = students
        self.hot_maxmemory = hot_maxmemory
        self.processes: dict[str, subprocess.Popen] = {}
        self.spawned: set[str] = set()
        self.postgres: ThrowawayPostgres | None = None
        self.sendgrid = SendGridStandIn(api_key="SG.cluster-" + secrets.token_urlsafe(16), port=self.ports.sendgrid)
        self.balancer = ""
        self.credentials: dict[str, str] = {}
        self.extra_env = env or {}
        self.logs = self.folder / "logs"

    @property
    def entry_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.balancer}"

    def web_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports.web(index)}"

    @property
    def hot_redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.hot_redis}/0"

    @property
    def queue_redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.queue_redis}/0"

    def environment(self, settings: str = PRODUCTION) -> dict[str, str]:
        """Return what every process of the service reads: production settings, configured as deployed."""
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings,
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url or "",
            "REDIS_URL": self.hot_redis_url,
            "RQ_REDIS_URL": self.queue_redis_url,
            "VIVIDLY_DATA_DIR": str(self.folder / "data"),
            "PUBLIC_BASE_URL": self.entry_url,
            "SENDGRID_API_KEY": self.sendgrid.api_key,
            "SENDGRID_API_URL": self.sendgrid.api_url,
            "SENDGRID_WEBHOOK_SECRET": self.webhook_secret,
            # HAProxy appends the client's address to X-Forwarded-For: believe that one hop.
            "TRUSTED_PROXY_COUNT": "1",
            **self.extra_env,
        }

    # --- processes ---------------------------------------------------------------------------
    def spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        """Start `command` in a process group of its own, its output in logs/<name>.log."""
        # A fresh log per run; a restarted process (web2 after a kill) appends to its own.
        mode = "ab" if name in self.spawned else "wb"
        self.spawned.add(name)
        with open(self.logs / f"{name}.log", mode) as output:
            process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env or self.environment(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def manage(self, *args: str, settings: str = PRODUCTION) -> str:
        """Run a management command as the service would (or with `settings`); return its output."""
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=BASE_DIR, env=self.environment(settings), capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start_web(self, index: int) -> subprocess.Popen:
        name = f"web{index + 1}"
        metrics = self.folder / "prometheus" / name
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        env = {
            **self.environment(),
            "VIVIDLY_BIND": f"127.0.0.1:{self.ports.web(index)}",
            "WEB_CONCURRENCY": "2",
            "GUNICORN_ACCESS_LOG": str(self.logs / f"{name}-access.log"),
            # prometheus-client's multiprocess mode: one fresh folder per instance and run.
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        }
        # Each instance its own control socket: by default they would all share ~/.gunicorn/gunicorn.ctl.
        control = ["--control-socket", str(self.folder / f"{name}.ctl")]
        return self.spawn(name, [PYTHON, "-m", "gunicorn", *control, "vividly.wsgi:application"], env)

    def start_sweeper(self, name: str = "sweeper") -> subprocess.Popen:
        return self.spawn(name, [PYTHON, "manage.py", "run_sweeper"])

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the process group of `name` (SIGKILL: the machine died)."""
        process = self.processes[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=15)

    def start(self) -> "Cluster":
        self.folder.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.secret_key = secrets.token_urlsafe(50)
        self.webhook_secret = f"sendgrid:{secrets.token_urlsafe(24)}"
        try:
            self.start_backing_services()
            self.prepare_database()
            for index in range(WEB_INSTANCES):
                self.start_web(index)
            for index in range(WORKERS):
                self.spawn(f"worker{index + 1}", [PYTHON, "-m", "devstack.supervise", *WORKER_COMMAND])
            self.start_sweeper()
            for index in range(WEB_INSTANCES):
                wait_for(lambda i=index: answers(f"{self.web_url(i)}/healthz"), f"web{index + 1}", timeout=60)
            self.balancer, command = balancer_command(self.ports, WEB_INSTANCES, self.folder / "balancer")
            self.spawn("balancer", command)
            wait_for(lambda: answers(f"{self.entry_url}/readyz"), f"{self.balancer} in front of the instances")
        except BaseException:
            self.stop()
            raise
        return self

    def start_backing_services(self) -> None:
        self.sendgrid.start()
        for name, port, hot, memory in (
            ("redis-hot", self.ports.hot_redis, True, self.hot_maxmemory),
            ("redis-queue", self.ports.queue_redis, False, "256mb"),
        ):
            shutil.rmtree(self.folder / name, ignore_errors=True)  # a fresh cluster: no jobs from the last run
            self.spawn(name, redis_command(port, self.folder / name, hot=hot, maxmemory=memory))
            wait_for(lambda p=port: redis_answers("127.0.0.1", p), name)
        if not self.database_url:
            self.postgres = ThrowawayPostgres(self.folder / "postgres", self.ports.postgres).start()
            self.database_url = self.postgres.url

    def prepare_database(self) -> None:
        """Check the deploy settings, migrate, collect static files, then create the demo data."""
        self.manage("check", "--deploy", "--fail-level", "WARNING")
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("collectstatic", "--noinput", "-v", "0")
        # The local settings (DEVSTACK) on the same database, Redis and folders: see the docstring.
        output = self.manage("seed_demo", settings=LOCAL)
        self.credentials = dict(re.findall(r"^\s+([A-Z]+)=(\S+)$", output, flags=re.MULTILINE))
        if self.students:
            subprocess.run(
                [PYTHON, "-m", "devstack.cluster_seed", "--students", str(self.students), "--password", DEMO_PASSWORD],
                cwd=BASE_DIR,
                env=self.environment(LOCAL),
                check=True,
                stdout=subprocess.DEVNULL,
            )
        self.write_credentials()

    def write_credentials(self) -> None:
        from devstack.cluster_seed import student_names

        (self.folder / "credentials.json").write_text(
            json.dumps(
                {
                    "entry_url": self.entry_url,
                    "web_urls": [self.web_url(index) for index in range(WEB_INSTANCES)],
                    "password": DEMO_PASSWORD,
                    "tokens": self.credentials,
                    "students": student_names(self.students),
                },
                indent=2,
            )
        )

    def stop(self) -> None:
        """Stop the service's process groups, then the Redis servers they use (SIGTERM, SIGKILL after
        15 s), then PostgreSQL and the stand-in: stopped in that order, nothing logs a lost Redis."""
        service = {name: process for name, process in self.processes.items() if not name.startswith("redis-")}
        backing = {name: process for name, process in self.processes.items() if name.startswith("redis-")}
        for group in (service, backing):
            for process in reversed(group.values()):
                if process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGTERM)
            for process in group.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=5)
                # Whatever a child left in its group (a work horse) goes with it.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()
        if self.postgres is not None:
            self.postgres.stop()
        self.sendgrid.stop()

    def summary(self) -> str:
        tokens = "\n".join(f"  {name}={value}" for name, value in self.credentials.items())
        return (
            f"entry (through {self.balancer}): {self.entry_url}   balancer stats: http://127.0.0.1:{self.ports.stats}/\n"
            f"instances: {', '.join(self.web_url(index) for index in range(WEB_INSTANCES))}\n"
            f"database: {self.database_url}\nhot Redis (allkeys-lru): {self.hot_redis_url}   "
            f"queue Redis (noeviction, AOF): {self.queue_redis_url}\n"
            f"SendGrid stand-in: {self.sendgrid.api_url}   logs: {self.logs}\n"
            f"demo users (password {DEMO_PASSWORD!r}): admin, ms_rivera (teacher), alice, bob"
            f"{f', and {self.students} load-test students' if self.students else ''}\n{tokens}\n"
            f"credentials for the load test: {self.folder / 'credentials.json'}\n"
            f"try: curl -s {self.entry_url}/readyz; curl -s {self.entry_url}/internal/v1/cache/stats "
            f'-H "Authorization: Bearer $SERVICE"'
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the production topology on this machine until Ctrl-C.")
    parser.add_argument("--base-port", type=int, default=int(os.environ.get("CLUSTER_BASE_PORT", "7100")))
    parser.add_argument("--students", type=int, default=int(os.environ.get("CLUSTER_STUDENTS", "200")))
    parser.add_argument("--folder", default=str(BASE_DIR / "var" / "cluster"))
    args = parser.parse_args()
    cluster = Cluster(
        folder=Path(args.folder),
        base_port=args.base_port,
        database_url=os.environ.get("DATABASE_URL") or None,
        students=args.students,
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    # While starting, a stop signal interrupts: start() stops what it had started.
    signal.signal(signal.SIGTERM, interrupt)
    log("starting: 2 Redis, PostgreSQL, SendGrid stand-in, migrations, demo data, 3 web, 2 workers, sweeper")
    try:
        cluster.start()
    except KeyboardInterrupt:
        log("interrupted while starting; stopped")
        return
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(cluster.summary(), flush=True)
    log("Ctrl-C stops everything.")
    reported: set[str] = set()
    try:
        while not stopping:
            for name, process in list(cluster.processes.items()):
                if process.poll() is not None and name not in reported:
                    reported.add(name)
                    log(f"{name} exited with {process.returncode}; the others go on (see {cluster.logs / name}.log)")
            time.sleep(0.5)
    finally:
        log("stopping every process group")
        cluster.stop()
        log("stopped")


if __name__ == "__main__":
    main()
