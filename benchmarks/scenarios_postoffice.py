"""The peer, measured in the same run: django-post_office 3.12 sending our email to the same SendGrid stand-in.

Issue 18 compares our worker with django-post_office, the library a Django team would pick
instead. Each scenario renders our `content_ready` email for N distinct addresses (the
message our worker sends, unsubscribe link and headers included), queues them in the peer's
own database with `mail.send_many`, and times `manage.py send_queued_mail` (which drains the
queue and exits) against a fresh SendGridStandIn. Every address must be accepted by the
stand-in exactly once and be `sent` in post_office's table.

Several senders are post_office's `--processes N` (it forks a pool and splits each batch
between the processes). Two `send_queued_mail` commands side by side are not: the second
finds the lock file held and exits at once, and with two lock files both would send the same
rows. The lock file lives in the bench's data dir, not post_office's default in /tmp, which
every post_office on the machine would share.

The peer's Django runs only in subprocesses (DJANGO_SETTINGS_MODULE=benchmarks.postoffice_settings):
`python -m benchmarks.scenarios_postoffice queue|tally` are their entry points.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from benchmarks.scenarios import Scenario

if TYPE_CHECKING:
    from devstack.sendgrid import SendGridStandIn

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS = "benchmarks.postoffice_settings"
# As many as our worker's scenario sends (benchmarks/scenarios_notifications.py).
EMAILS = int(os.environ.get("BENCH_WORKER_EMAILS", "1000"))


@dataclass(frozen=True)
class PeerConfig:
    """How post_office is run: `send_queued_mail --processes`, THREADS_PER_PROCESS, BATCH_SIZE."""

    processes: int = 1
    # None: post_office's own default (5 threads, batches of 100).
    threads: int | None = None
    batch_size: int | None = None


DEFAULTS = PeerConfig()
TUNED = PeerConfig(processes=2, threads=10, batch_size=1000)


def postoffice_database_url() -> str:
    """Return the peer's database: a SQLite file beside the bench's, or `<name>_postoffice` on its server."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(database['NAME']).parent / 'postoffice.sqlite3'}"
    url = urlsplit(os.environ["DATABASE_URL"])
    return url._replace(path=f"/{database['NAME']}_postoffice").geturl()


def database_reset(database_url: str) -> None:
    """Start from an empty database: remove the SQLite file, or drop and recreate the PostgreSQL one.

    The PostgreSQL one is made through the bench's own connection, which is on the same server.
    """
    url = urlsplit(database_url)
    if url.scheme.startswith("sqlite"):
        path = Path(url.path.removeprefix("/"))
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        return
    from django.db import connection

    name = url.path.removeprefix("/")
    quoted = connection.ops.quote_name(name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quoted}")


def rendered_messages(addresses: list[str]) -> list[dict]:
    """Return our content_ready email to each address, as our worker builds it (sending.build_message)."""
    from django.conf import settings

    from notifications_app.registry import TEMPLATES
    from notifications_app.rendering import render_email
    from notifications_app.unsubscribe import unsubscribe_url

    spec = TEMPLATES["content_ready"]
    messages = []
    for address in addresses:
        link = unsubscribe_url(address=address, category=spec.category)
        rendered = render_email("content_ready", spec.sample, unsubscribe_url=link)
        messages.append(
            {
                "recipients": [address],
                "sender": settings.DEFAULT_FROM_EMAIL,
                "subject": rendered.subject,
                "message": rendered.text,
                "html_message": rendered.html,
                "headers": {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            }
        )
    return messages


def peer_environment(database_url: str, config: PeerConfig, *, api_url: str = "", api_key: str = "") -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "POSTOFFICE_DATABASE_URL": database_url,
        "SENDGRID_API_URL": api_url,
        "SENDGRID_API_KEY": api_key,
    }
    for name, value in (("THREADS_PER_PROCESS", config.threads), ("BATCH_SIZE", config.batch_size)):
        env.pop(f"POSTOFFICE_{name}", None)
        if value is not None:
            env[f"POSTOFFICE_{name}"] = str(value)
    return env


def run_peer(args: list[str], env: dict) -> subprocess.CompletedProcess:
    completed = subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    if completed.returncode:
        raise RuntimeError(f"{' '.join(args)} exited with {completed.returncode}:\n{completed.stderr[-3000:]}")
    return completed


def verdict(*, addresses: list[str], accepted: Counter, statuses: dict[str, int]) -> dict:
    """Return what a run achieved: all_sent only if each address was accepted once and is `sent`, nothing else."""
    sent = statuses.get("sent", 0)
    missing = sum(1 for address in addresses if accepted[address] == 0)
    twice = sum(1 for count in accepted.values() if count > 1)
    strangers = len(set(accepted) - set(addresses))
    return {
        "sent": sent,
        "missing": missing,
        "twice": twice,
        "all_sent": sent == len(addresses) == sum(statuses.values()) and not (missing or twice or strangers),
    }


def measure_postoffice(
    config: PeerConfig,
    *,
    emails: int = EMAILS,
    database_url: str | None = None,
    work_dir: Path | None = None,
    sendgrid: "SendGridStandIn | None" = None,
) -> dict:
    """Queue `emails` of our content_ready email in post_office, then time one `send_queued_mail` draining them.

    A `sendgrid` stand-in may be given (a test scripting its replies); else a fresh one is started.
    """
    from django.conf import settings

    from devstack.sendgrid import SendGridStandIn

    database_url = database_url or postoffice_database_url()
    work_dir = Path(work_dir or settings.DATA_DIR) / "postoffice"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    addresses = [f"peer{n}@example.edu" for n in range(emails)]
    (work_dir / "messages.json").write_text(json.dumps(rendered_messages(addresses)))

    database_reset(database_url)
    env = peer_environment(database_url, config)
    run_peer(["manage.py", "migrate", "--noinput", "--verbosity", "0"], env)
    run_peer(["-m", "benchmarks.scenarios_postoffice", "queue", str(work_dir / "messages.json")], env)

    stand_in = sendgrid or SendGridStandIn().start()
    try:
        env = peer_environment(database_url, config, api_url=stand_in.api_url, api_key=stand_in.api_key)
        command = ["manage.py", "send_queued_mail", "--processes", str(config.processes)]
        command += ["--lockfile", str(work_dir / "send")]
        started = time.monotonic()
        run_peer(command, env)
        elapsed = time.monotonic() - started
        accepted_requests = [r for r in stand_in.received if r.path == "/v3/mail/send" and r.status == 202]
        # One per sending thread that kept its session open: processes x threads when all worked.
        connections = stand_in.connections
    finally:
        if sendgrid is None:
            stand_in.stop()
    accepted = Counter(request.payload["personalizations"][0]["to"][0]["email"] for request in accepted_requests)
    statuses = json.loads(run_peer(["-m", "benchmarks.scenarios_postoffice", "tally"], env).stdout)

    result = verdict(addresses=addresses, accepted=accepted, statuses=statuses)
    steady = steady_rate([(request.at, len(request.payload["personalizations"])) for request in accepted_requests])
    rate = result["sent"] / elapsed
    return {
        "summary": f"{result['sent']}/{emails} sent, {result['missing']} missing, {result['twice']} twice: "
        f"{steady:.0f}/s (first to last call; {rate:.0f}/s with start-up, {elapsed:.1f} s)",
        # As our worker rows: between the first call and the last (both start Django first).
        "emails_per_second": steady,
        "seconds": elapsed,
        "connections": connections,
        **result,
    }


def steady_rate(calls: list[tuple[float, int]]) -> float:
    """Return emails per second between the first provider call and the last, from (arrival, recipients) pairs.

    The first call's recipients are left out (they were ready before the span began), so a
    run of single calls and a run of grouped calls are read alike; start-up (Django, the
    first claim) is outside the span for ours and post_office alike.
    """
    calls = sorted(calls)
    span = calls[-1][0] - calls[0][0] if len(calls) > 1 else 0.0
    return sum(recipients for _, recipients in calls[1:]) / span if span > 0 else 0.0


# The peer's last result per configuration, for a check on our worker's row measured after it.
RESULTS: dict[PeerConfig, dict] = {}


def ahead_of(config: PeerConfig) -> Callable[[dict], bool]:
    """Return a check: all sent, and more emails/s than post_office with `config` in this run (measured first)."""

    def check(row: dict) -> bool:
        peer = RESULTS.get(config)
        return bool(row.get("all_sent")) and peer is not None and row["emails_per_second"] > peer["emails_per_second"]

    return check


def measured(config: PeerConfig) -> dict:
    RESULTS[config] = measure_postoffice(config)
    return RESULTS[config]


DEFAULTS_ROW = "post_office 3.12 defaults"
TUNED_ROW = "post_office 3.12 tuned (2 processes x 10 threads, batch 1000)"


def postoffice_scenarios(url: str) -> list[Scenario]:
    """Return the peer's two rows; `make bench` prints them beside "notifications worker throughput"."""
    return [
        Scenario(
            DEFAULTS_ROW,
            measure=lambda: measured(DEFAULTS),
            target="all sent once (the peer: 1 process x 5 threads, batch 100)",
            check=lambda row: row["all_sent"],
        ),
        Scenario(
            TUNED_ROW,
            measure=lambda: measured(TUNED),
            target="all sent once (the peer, tuned)",
            check=lambda row: row["all_sent"],
        ),
    ]


def queue(path: str) -> None:
    """Queue the messages in `path` with post_office (run under benchmarks.postoffice_settings)."""
    from post_office import mail

    kwargs_list = [{**message, "priority": "medium"} for message in json.loads(Path(path).read_text())]
    mail.send_many(kwargs_list)


def tally() -> None:
    """Print post_office's emails counted by status, as JSON (run under benchmarks.postoffice_settings)."""
    from django.db.models import Count
    from post_office.models import STATUS, Email

    names = dict(zip(STATUS, STATUS._fields, strict=True))  # a namedtuple: sent=0, failed=1, ...
    counts = Email.objects.order_by().values_list("status").annotate(n=Count("id"))
    print(json.dumps({names[status]: n for status, n in counts}))


if __name__ == "__main__":
    import django

    if os.environ.get("DJANGO_SETTINGS_MODULE") != SETTINGS:
        raise SystemExit(f"run with DJANGO_SETTINGS_MODULE={SETTINGS}")
    django.setup()
    {"queue": lambda: queue(sys.argv[2]), "tally": tally}[sys.argv[1]]()
