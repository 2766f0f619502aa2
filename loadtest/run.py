"""`make loadtest`: run the school morning (loadtest/locustfile.py) headless against `make cluster`,
print a table per endpoint, write it to var/loadtest/, and exit non-zero when a gate fails.

Gates, per endpoint: the p95 latency (GATE_P95_MS, login and the pages it hashes a password for
have their own) and the error rate (GATE_ERROR_RATE). Locust writes its numbers as CSV; this
reads them back, so the numbers in the table are locust's own.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
GATE_ERROR_RATE = 0.01
GATE_P95_MS = 1000
# A login hashes the password (PBKDF2, ~0.3-0.5 s of CPU here): it has its own bound.
P95_MS_BY_ENDPOINT = {"POST /api/v1/auth/token": 5000}


def read_stats(path: Path) -> list[dict]:
    with path.open() as stats:
        return [row for row in csv.DictReader(stats) if row["Name"] != "Aggregated"]


def judge(row: dict) -> dict:
    requests = int(row["Request Count"])
    failures = int(row["Failure Count"])
    p95 = float(row["95%"] or 0)
    error_rate = failures / requests if requests else 0.0
    p95_gate = P95_MS_BY_ENDPOINT.get(row["Name"], GATE_P95_MS)
    return {
        "endpoint": row["Name"],
        "requests": requests,
        "rps": float(row["Requests/s"]),
        "p50_ms": float(row["50%"] or 0),
        "p95_ms": p95,
        "p99_ms": float(row["99%"] or 0),
        "errors": failures,
        "error_rate": error_rate,
        "p95_gate_ms": p95_gate,
        "passed": p95 <= p95_gate and error_rate <= GATE_ERROR_RATE,
    }


def table(results: list[dict]) -> str:
    lines = [
        f"| {'endpoint':<42} | requests |  req/s |  p50 ms |  p95 ms |  p99 ms | errors | p95 gate | verdict |",
        f"|{'-' * 44}|---------:|-------:|--------:|--------:|--------:|-------:|---------:|---------|",
    ]
    for r in results:
        lines.append(
            f"| {r['endpoint']:<42} | {r['requests']:>8} | {r['rps']:>6.1f} | {r['p50_ms']:>7.0f} "
            f"| {r['p95_ms']:>7.0f} | {r['p99_ms']:>7.0f} | {r['error_rate']:>6.1%} | {r['p95_gate_ms']:>8} "
            f"| {'pass' if r['passed'] else 'FAIL'} |"
        )
    return "\n".join(lines)


def ready(host: str, timeout: float = 120.0) -> bool:
    """Wait until the balancer's /readyz answers 200 (a cluster still starting refuses connections)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{host}/readyz", timeout=2) as response:  # noqa: S310 - the operator's URL
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(1)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=60)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--credentials", default=str(BASE_DIR / "var" / "cluster" / "credentials.json"))
    parser.add_argument("--host", help="default: the entry URL in the credentials file")
    args = parser.parse_args()
    credentials = Path(args.credentials)
    if not credentials.exists():
        print(f"no {credentials}: start `make cluster` first (in another terminal)", file=sys.stderr)
        return 2
    host = args.host or json.loads(credentials.read_text())["entry_url"]
    if not ready(host):
        print(f"{host}/readyz does not answer 200: is `make cluster` still starting?", file=sys.stderr)
        return 2
    out = BASE_DIR / "var" / "loadtest" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(BASE_DIR / "loadtest" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        args.run_time,
        "--host",
        host,
        "--csv",
        str(out / "locust"),
        "--only-summary",
        "--stop-timeout",
        "15",
        "--loglevel",
        "WARNING",
    ]
    print(f"locust: {args.users} users against {host} for {args.run_time}; results in {out}", flush=True)
    env = {**os.environ, "LOADTEST_CREDENTIALS": str(credentials)}
    with (out / "locust.log").open("w") as locust_log:
        subprocess.run(command, cwd=BASE_DIR, env=env, check=False, stdout=locust_log, stderr=subprocess.STDOUT)
    stats = out / "locust_stats.csv"
    if not stats.exists():
        print("locust wrote no statistics", file=sys.stderr)
        return 2
    results = [judge(row) for row in read_stats(stats)]
    text = table(results)
    failed = [r["endpoint"] for r in results if not r["passed"]]
    summary = (
        f"{args.users} users, {args.run_time}, host {host}; gates: p95 <= {GATE_P95_MS} ms "
        f"(login {P95_MS_BY_ENDPOINT['POST /api/v1/auth/token']} ms), error rate <= {GATE_ERROR_RATE:.0%}\n"
    )
    print(summary + text)
    (out / "results.md").write_text(summary + text + "\n")
    (out / "results.json").write_text(
        json.dumps({"users": args.users, "run_time": args.run_time, "results": results}, indent=2)
    )
    if failed:
        print(f"FAILED gates: {', '.join(failed)}")
        return 1
    print("every gate passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
