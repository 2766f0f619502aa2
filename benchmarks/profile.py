"""Profile hot paths in-process: time per request beside its floor, and cProfile's top lines.

    python -m benchmarks.profile [--requests N] [--top N] NAME ...
    python -m benchmarks.profile --worker N [--top N]

NAME matches scenario names as `benchmarks.run --only` does. Each chosen scenario (and its
floor) is called N times through Django's WSGI handler in this process: no gunicorn, no
sockets, no wrk, so what is left is the request's own Python (and its Redis and database
round trips). It prints the mean time per request, the ratio floor/scenario, and the
functions with the most time of their own, then cumulative, for the scenario. It is the
tool behind the profiles in the README's Performance section; `make bench` measures speed.

`--worker N` accepts N content_ready emails one by one (as the send API does), then profiles
this process running the production worker class (`rqworker --burst`'s, an RQ SimpleWorker)
until it has sent them all to the SendGrid stand-in, and prints the emails per second.
"""

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.run import prepare_environment, stores_emptied


def environ_for(method: str, path: str, headers: dict[str, str], body: str | None) -> dict:
    """Return a WSGI environ as gunicorn would build it for this request."""
    path_info, _, query = path.partition("?")
    data = (body or "").encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8765",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if body is not None:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(data))
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def call(application, scenario) -> int:
    fixed = {"path": scenario.path, "body": scenario.body, "headers": scenario.headers, **scenario.profile}
    environ = environ_for(scenario.method, fixed["path"], fixed["headers"], fixed["body"])
    answered = []
    chunks = application(environ, lambda status, headers, exc_info=None: answered.append(status))
    for _ in chunks:
        pass
    if hasattr(chunks, "close"):
        chunks.close()
    return int(answered[0].split()[0])


def per_request_ms(application, scenarios: list, requests: int) -> list[float]:
    """Return each scenario's mean ms per request, measured in alternating rounds of 100, so that
    a change in the machine's load falls on all of them alike."""
    for scenario in scenarios:
        for _ in range(min(200, requests)):  # warm: imports, memos, connections
            status = call(application, scenario)
        if status >= 400:
            raise SystemExit(f"{scenario.name}: answered {status}; its profile request is wrong")
    spent = [0.0] * len(scenarios)
    for _ in range(max(1, requests // 100)):
        for index, scenario in enumerate(scenarios):
            started = time.perf_counter()
            for _ in range(100):
                call(application, scenario)
            spent[index] += time.perf_counter() - started
    return [seconds * 1000 / (max(1, requests // 100) * 100) for seconds in spent]


def profile_printed(profiler: cProfile.Profile, title: str, top: int) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        print(f"--- {title}, by {order}")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def worker_profile(emails: int, top: int, sendgrid, dump: str | None) -> None:
    """Profile one worker (in this process) sending `emails` single sends to the SendGrid stand-in."""
    import django_rq

    from benchmarks.scenarios_notifications import QUEUES, accept_one_by_one, sent_summary

    ids = accept_one_by_one(emails, "profiled")
    worker = django_rq.get_worker(*QUEUES)
    profiler = cProfile.Profile()
    started = time.monotonic()
    profiler.enable()
    worker.work(burst=True, with_scheduler=False)
    profiler.disable()
    result = sent_summary(ids, sendgrid, time.monotonic() - started)
    print(
        f"one worker, profiled: {result['sent']}/{emails} sent, {result['twice']} twice, "
        f"{result['calls']} provider calls, {result['steady']:.0f}/s first to last call (cProfile on)"
    )
    if dump:
        profiler.dump_stats(Path(dump) / "worker.prof")
    profile_printed(profiler, f"one worker draining {emails} emails", top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--worker", type=int, metavar="N", help="profile one worker sending N emails instead")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", metavar="DIR", help="also write each profile there (for pstats or snakeviz)")
    args = parser.parse_args()

    if not args.names and not args.worker:
        parser.error("name a scenario, or --worker N")
    data_dir = Path(tempfile.mkdtemp(prefix="vividly-profile-"))
    prepare_environment(data_dir)
    with contextlib.ExitStack() as stack:
        if args.worker:
            from devstack.sendgrid import SendGridStandIn

            sendgrid = stack.enter_context(SendGridStandIn())
            os.environ |= {"SENDGRID_API_KEY": sendgrid.api_key, "SENDGRID_API_URL": sendgrid.api_url}
        profiled(args, data_dir, sendgrid if args.worker else None)
    shutil.rmtree(data_dir, ignore_errors=True)


def profiled(args: argparse.Namespace, data_dir: Path, sendgrid) -> None:
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    from benchmarks.scenarios import build_scenarios

    stores_emptied()
    if args.worker:
        worker_profile(args.worker, args.top, sendgrid, args.dump)
        return
    application = get_wsgi_application()
    scenarios = {s.name: s for s in build_scenarios("")}
    chosen = [s for s in scenarios.values() if s.name == "baseline" or any(n in s.name for n in args.names)]
    if any(s.server_env for s in chosen):
        print("note: scenarios with their own server_env run here with this process's settings")
    baseline = scenarios["baseline"]
    for scenario in chosen:
        if scenario.name == "baseline" or scenario.name.startswith("floor:"):
            continue
        if scenario.measure or ("request = function" in scenario.lua and not scenario.profile):
            print(f"{scenario.name}: skipped (not one fixed HTTP request)")
            continue
        floor = scenarios.get(scenario.floor)
        timed = [baseline, scenario, *([floor] if floor else [])]
        baseline_ms, ms, *floor_ms = per_request_ms(application, timed, args.requests)
        line = f"{scenario.name}: {ms:.3f} ms per request; baseline {baseline_ms:.3f} ms, {baseline_ms / ms:.2f}x"
        if floor_ms:
            line += f"; floor {floor_ms[0]:.3f} ms, {floor_ms[0] / ms:.2f}x"
        print(line)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call(application, scenario)
        profiler.disable()
        if args.dump:
            profiler.dump_stats(Path(args.dump) / (scenario.name.replace(" ", "_").replace(",", "") + ".prof"))
        profile_printed(profiler, scenario.name, args.top)


if __name__ == "__main__":
    main()
