"""Run the benchmark scenarios with wrk against gunicorn and print a table of ratios.

Every scenario is measured in rounds taking turns with the baseline (a bare Django
JsonResponse) and with its floor, and reported as a ratio to each, because this machine is
noisy: absolute numbers from different runs, or minutes apart, cannot be compared; ratios of
rounds taken in turn can.

    python -m benchmarks.run [--duration SECONDS] [--only NAME ...]
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.scenarios import Scenario

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "benchmarks" / "results"


def prepare_environment(data_dir: Path) -> None:
    """Point Django at a fresh data dir and dedicated Redis databases, before setup()."""
    from devstack.redis_server import RedisServer, answers

    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ["VIVIDLY_DATA_DIR"] = str(data_dir)
    # Never the DATABASE_URL of the environment: the benchmark empties its database.
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{data_dir / 'bench.sqlite3'}")
    base = os.environ.get("BENCH_REDIS_URL")
    if base is None:
        if answers(6379):
            base = "redis://127.0.0.1:6379"
        else:
            server = RedisServer().start()
            base = server.url
    os.environ["REDIS_URL"] = f"{base}/10"
    os.environ["RQ_REDIS_URL"] = f"{base}/11"
    # Benchmarks measure the service, not its limits (which would answer 429s instead).
    os.environ.setdefault("EMAIL_RATE_LIMIT_PER_MINUTE", "1000000")
    os.environ.setdefault("EMAIL_RECIPIENT_LIMIT_PER_HOUR", "1000000")
    os.environ.setdefault("API_USER_RATE", "100000000/min")
    # As before gunicorn.conf.py: no access log line per request in the measurement.
    os.environ.setdefault("GUNICORN_ACCESS_LOG", "")
    # Production refuses short or well-known keys; one throwaway key, shared by every process of the run.
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    (data_dir / "static").mkdir()


def database_created_if_missing() -> None:
    """Create BENCH_DATABASE_URL's PostgreSQL database when its server does not have it yet.

    As Django's test runner creates its database: through `_nodb_cursor`, a connection to the
    server's `postgres` database with the same settings (password, OPTIONS, no pool). A SQLite
    file is created by its first connection anyway.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    name = connection.settings_dict["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
            print(f"  created database {name}", file=sys.stderr, flush=True)


def stores_emptied() -> None:
    """Give the run an empty, migrated database and empty Redis databases (after django.setup()).

    A BENCH_DATABASE_URL may hold a previous run, or not exist yet on a fresh server.
    """
    from django.core.management import call_command

    from vividly.redis_guard import client

    database_created_if_missing()
    call_command("migrate", "--noinput", verbosity=0)
    call_command("flush", "--noinput", verbosity=0)
    for alias in ("hot", "state"):
        client(alias).flushdb()


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            # It could not bind (another server on BENCH_PORT): measuring that one would be a lie.
            raise SystemExit(f"gunicorn exited with {server.returncode}; is BENCH_PORT taken?")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback URL we built
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout:.0f} s")


def lua_script(scenario: "Scenario") -> str:
    """Return the wrk script: the request, and a done() printing the numbers as JSON."""
    lines = [f"wrk.method = {json.dumps(scenario.method)}"]
    if scenario.body is not None:
        lines.append(f"wrk.body = {json.dumps(scenario.body)}")
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    for name, value in scenario.headers.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    if scenario.lua:
        lines.append(scenario.lua)
    lines.append(
        """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
    )
    return "\n".join(lines)


# wrk's kinds of socket error, counted apart so that a row's errors say what happened.
SOCKET_ERRORS = ("connect", "read", "write", "timeout")


def run_wrk(url: str, scenario: "Scenario", duration: float, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(scenario))
    try:
        completed = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{max(1, round(duration))}s",  # wrk reads whole seconds only (0.5s is an error)
                "--timeout",
                "5s",
                "-s",
                script.name,
                url + scenario.path,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(script.name)
    line = next(line for line in completed.stdout.splitlines() if line.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds,
        "requests": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "non2xx": raw["non2xx"],
        "socket_errors": sum(raw[kind] for kind in SOCKET_ERRORS),
        **{kind: raw[kind] for kind in SOCKET_ERRORS},
    }


# Every scenario is measured in this many alternating rounds with its references: the baseline,
# and its floor if it has one (floor, baseline, scenario, floor, ...). A reference measured once,
# minutes apart, measured the machine: the floor's speed moved by 2x between runs minutes apart
# (it waits on Redis, another process on the same two cores), and the DRF no-op made 0.50x,
# 0.40x and 0.19x of one baseline taken at the start, in three runs within fifteen minutes.
PAIRED_ROUNDS = 4


def run_alternating(
    url: str, scenario: "Scenario", references: list["Scenario"], duration: float, connections: int
) -> tuple[dict, dict[str, dict]]:
    """Return the scenario's result and each reference's (by name), measured in alternating rounds."""
    rounds: dict[str, list[dict]] = {measured.name: [] for measured in (*references, scenario)}
    for _ in range(PAIRED_ROUNDS):
        for measured in (*references, scenario):
            rounds[measured.name].append(run_wrk(url, measured, duration / PAIRED_ROUNDS, connections))
    by_name = {reference.name: combined(rounds[reference.name]) for reference in references}
    return combined(rounds[scenario.name]), by_name


def combined(results: list[dict]) -> dict:
    """Add rounds up: requests over their total time; each percentile the rounds' mean, weighted by requests."""
    requests = sum(result["requests"] for result in results)
    seconds = sum(result["requests"] / result["rps"] for result in results)
    total = {"rps": requests / seconds, "requests": requests}
    for name in ("p50_ms", "p95_ms", "p99_ms"):
        total[name] = sum(result[name] * result["requests"] for result in results) / requests
    for name in ("non2xx", "socket_errors", *SOCKET_ERRORS):
        total[name] = sum(result[name] for result in results)
    return total


def print_table(rows: list[dict], baseline: dict) -> None:
    header = (
        f"{'scenario':<34} {'req/s':>8} {'ratio':>6} {'floor':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6}  target"
    )
    print(header)
    print("-" * len(header))
    floors = {row["name"]: row for row in rows if "rps" in row}
    for row in rows:
        if "rps" in row:
            its_baseline = row.get("paired_baseline") or baseline
            ratio = row["rps"] / its_baseline["rps"]
            row["ratio"] = ratio
            row["baseline_p99_ms"] = its_baseline["p99_ms"]
            floor = row.get("paired_floor") or floors.get(row.get("floor") or "")
            row["floor_ratio"] = row["rps"] / floor["rps"] if floor else None
            shown_floor = f"{row['floor_ratio']:>5.2f}x" if floor else f"{'':>6}"
            verdict = ""
            if row.get("check"):
                verdict = ("ok  " if row["check"](row) else "MISS") + " " + row["target"]
            print(
                f"{row['name']:<34} {row['rps']:>8.0f} {ratio:>5.2f}x {shown_floor} {row['p50_ms']:>7.1f} "
                f"{row['p95_ms']:>7.1f} {row['p99_ms']:>7.1f} {row['non2xx'] + row['socket_errors']:>6}  {verdict}"
            )
        else:
            verdict = ("ok  " if row["check"](row) else "MISS") + " " + row["target"] if row.get("check") else ""
            print(f"{row['name']:<34} {row['summary']:<52}  {verdict}")
    for row in rows:
        if row.get("non2xx") or row.get("socket_errors"):
            kinds = [f"{row[kind]} {kind}" for kind in SOCKET_ERRORS if row.get(kind)]
            kinds += [f"{row['non2xx']} answers outside 2xx/3xx"] if row["non2xx"] else []
            print(f"errors in {row['name']}: {', '.join(kinds)}")


def start_server(port: int, workers: int, env_overrides: dict[str, str], gunicorn_args: list[str]) -> subprocess.Popen:
    """Start gunicorn as production runs it (gunicorn.conf.py) and wait until it answers.

    Only the address, the worker count and the log level differ, and what `gunicorn_args`
    adds (`--worker-class sync`, to compare).
    """
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "vividly.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            *gunicorn_args,
        ],
        cwd=BASE_DIR,
        env={**os.environ, **env_overrides},
    )
    wait_until_up(f"http://127.0.0.1:{port}/healthz", server)
    return server


def gunicorn_description(gunicorn_args: list[str]) -> str:
    """Return the worker class and threads of the run, from the arguments or gunicorn.conf.py's defaults."""
    config = (BASE_DIR / "gunicorn.conf.py").read_text()
    options = dict(zip(gunicorn_args[::2], gunicorn_args[1::2], strict=True))
    worker_class = options.get("--worker-class") or re.search(r'^worker_class = "(\w+)"', config, re.M)[1]
    threads = options.get("--threads") or os.environ.get("GUNICORN_THREADS")
    threads = threads or re.search(r'"GUNICORN_THREADS", "(\d+)"', config)[1]
    return worker_class if worker_class == "sync" else f"{worker_class} x {threads} threads"


def stop_server(server: subprocess.Popen | None) -> None:
    if server is not None and server.poll() is None:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 8)))
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="*", help="run only scenarios whose name contains one of these")
    parser.add_argument(
        "--worker-class", help="gunicorn worker class instead of gunicorn.conf.py's (gthread), to compare"
    )
    parser.add_argument("--threads", type=int, help="threads per gunicorn worker instead of gunicorn.conf.py's")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install the Debian package (apt-get install wrk) and run again.")

    data_dir = Path(tempfile.mkdtemp(prefix="vividly-bench-"))
    prepare_environment(data_dir)
    import django

    django.setup()

    from benchmarks.scenarios import build_scenarios

    stores_emptied()

    gunicorn_args = [*(["--worker-class", args.worker_class] if args.worker_class else [])]
    gunicorn_args += ["--threads", str(args.threads)] if args.threads else []
    port = int(os.environ.get("BENCH_PORT", "8765"))
    url = f"http://127.0.0.1:{port}"
    rows: list[dict] = []
    server: subprocess.Popen | None = None
    server_env: dict | None = None
    try:
        server = start_server(port, args.workers, {}, gunicorn_args)
        server_env = {}
        scenarios = build_scenarios(url)
        measured: dict[str, Scenario] = {}
        if args.only:
            chosen = {s.name for s in scenarios if s.name == "baseline" or any(o in s.name for o in args.only)}
            chosen |= {s.floor for s in scenarios if s.name in chosen and s.floor}
            chosen |= {name for s in scenarios if s.name in chosen for name in s.needs}
            scenarios = [s for s in scenarios if s.name in chosen]
        for scenario in scenarios:
            if scenario.server_env != server_env:
                # Another configuration (the GCS signer, say): restart gunicorn with it.
                stop_server(server)
                server = start_server(port, args.workers, scenario.server_env, gunicorn_args)
                server_env = scenario.server_env
            if scenario.setup:
                scenario.setup()
            floor = measured.get(scenario.floor)
            paired: dict = {}
            if scenario.measure:
                result = scenario.measure()
            elif scenario.name == "baseline":
                run_wrk(url, scenario, min(2.0, args.duration), args.connections)  # warm-up
                result = run_wrk(url, scenario, args.duration, args.connections)
                baseline_scenario = scenario
            else:
                run_wrk(url, scenario, min(2.0, args.duration), args.connections)  # warm-up
                if scenario.setup:
                    scenario.setup()
                references = [floor] if floor is not None and floor.server_env == scenario.server_env else []
                result, by_name = run_alternating(
                    url, scenario, [*references, baseline_scenario], args.duration, args.connections
                )
                paired["paired_baseline"] = by_name[baseline_scenario.name]
                if references:
                    paired["paired_floor"] = by_name[floor.name]
            rows.append(
                {
                    "name": scenario.name,
                    "target": scenario.target,
                    "check": scenario.check,
                    "floor": scenario.floor,
                    **result,
                    **paired,
                }
            )
            measured[scenario.name] = scenario
            print(f"  measured {scenario.name}", file=sys.stderr, flush=True)
    finally:
        stop_server(server)

    baseline = next(row for row in rows if row["name"] == "baseline")
    print()
    print(
        f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"gunicorn {args.workers} {gunicorn_description(gunicorn_args)} workers, "
        f"wrk {args.connections} connections, {args.duration:g} s each"
    )
    print()
    print_table(rows, baseline)
    print()
    print(
        f"ratio, floor: against the baseline and the scenario's floor, each measured in {PAIRED_ROUNDS} rounds "
        "taking turns with the scenario\n(the baseline row is its own first run; a row of rounds has their "
        "p50/p95/p99 averaged, weighted by requests)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(
        json.dumps([{k: v for k, v in row.items() if k != "check"} for row in rows], indent=2)
    )
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
