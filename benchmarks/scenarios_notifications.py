"""Notifications: a send over HTTP, one and two workers draining to SendGrid, a batch of 5,000, rendering."""

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchmarks.scenarios import Scenario, floor_ratio_at_least
from benchmarks.scenarios_postoffice import DEFAULTS, DEFAULTS_ROW, TUNED, TUNED_ROW, ahead_of, steady_rate

BASE_DIR = Path(__file__).resolve().parent.parent
WORKER_EMAILS = int(os.environ.get("BENCH_WORKER_EMAILS", "1000"))
QUEUES = ("high", "default", "low")


def send_lua(context: dict) -> str:
    """Return a wrk request() sending content_ready to a new address each time (as in real use)."""
    template = json.dumps({"to": "student%d@example.edu", "template": "content_ready", "context": context})
    return f"""
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format({json.dumps(template)}, counter))
end
"""


def worker_target(sqlite: float, postgresql: float) -> float:
    """Return the worker target of the database this run uses (BENCH_DATABASE_URL)."""
    return postgresql if os.environ.get("DATABASE_URL", "").startswith("postgres") else sqlite


def empty_queues() -> None:
    from notifications_app.queueing import queue

    for name in QUEUES:
        queue(name).empty()
        for job_id in queue(name).scheduled_job_registry.get_job_ids():
            queue(name).scheduled_job_registry.remove(job_id)


def earlier_rows_set_aside() -> None:
    """Take the HTTP scenario's rows out of the queue: their jobs were emptied, but a job claims
    every due row of its queue (notifications_app/claims.py), so they would be sent with the
    measured emails, counted in their time and as repeats of its reused addresses."""
    from notifications_app.models import Notification, Status

    Notification.objects.filter(status=Status.QUEUED).update(status=Status.FAILED, last_error="bench: set aside")


def accept_one_by_one(count: int, prefix: str) -> list:
    """Accept `count` content_ready emails one call at a time, as the send API does; return their ids."""
    from notifications_app.registry import TEMPLATES
    from notifications_app.services import notification_accept
    from notifications_app.validation import send_request_validate

    sample = TEMPLATES["content_ready"].sample
    return [
        notification_accept(
            request=send_request_validate(to=f"{prefix}{n}@example.edu", template="content_ready", context=sample)
        ).pk
        for n in range(count)
    ]


def worker_command(*extra: str) -> list[str]:
    return [sys.executable, "manage.py", "rqworker", *QUEUES, "--verbosity", "0", *extra]


def sent_summary(ids: list, sendgrid, elapsed: float) -> dict:
    """Count what the stand-in received for `ids`: sent, twice, and the rate between the first and last call."""
    from notifications_app.models import Notification, Status

    recipients = Counter(
        personalization["to"][0]["email"]
        for payload in sendgrid.payloads
        for personalization in payload["personalizations"]
    )
    sent = Notification.objects.filter(pk__in=ids, status=Status.SENT).count()
    calls = [
        (request.at, len(request.payload["personalizations"]))
        for request in sendgrid.received
        if request.path == "/v3/mail/send" and request.status == 202
    ]
    steady = steady_rate(calls)
    twice = sum(1 for count in recipients.values() if count > 1)
    return {
        "sent": sent,
        "twice": twice,
        "calls": len(calls),
        "rate": sent / elapsed,
        "steady": steady,
        "all_sent": sent == len(ids) == len(recipients) and not twice,
    }


def measure_workers_throughput(workers: int, **worker_env: str) -> Callable[[], dict]:
    """Queue N emails one by one, then time `workers` `rqworker --burst` processes sending them to the stand-in.

    The rate is the stand-in's: from the first provider call to the last (the processes'
    Django start-up, ~1 s, is shown apart in the total). `worker_env`: settings the workers
    run with besides the production ones.
    """

    def measure() -> dict:
        from devstack.sendgrid import SendGridStandIn

        # The HTTP scenario left thousands of jobs behind, and gunicorn may still be answering
        # requests wrk had already sent: let those land, then measure only our emails.
        time.sleep(1)
        empty_queues()
        earlier_rows_set_aside()
        count = WORKER_EMAILS * workers
        ids = accept_one_by_one(count, f"worker{workers}x")
        with SendGridStandIn() as sendgrid:
            env = {
                **os.environ,
                "SENDGRID_API_KEY": sendgrid.api_key,
                "SENDGRID_API_URL": sendgrid.api_url,
                **worker_env,
            }
            started = time.monotonic()
            processes = [subprocess.Popen(worker_command("--burst"), cwd=BASE_DIR, env=env) for _ in range(workers)]
            for process in processes:
                process.wait()
            elapsed = time.monotonic() - started
            result = sent_summary(ids, sendgrid, elapsed)
        return {
            "summary": f"{result['sent']}/{count} sent in {result['calls']} calls, {result['twice']} twice: "
            f"{result['steady']:.0f}/s "
            f"(first to last call; {result['rate']:.0f}/s with start-up, {elapsed:.1f} s)",
            "emails_per_second": result["steady"],
            "all_sent": result["all_sent"],
        }

    return measure


def measure_batch_of_5000() -> dict:
    """Accept content_ready for 5,000 recipients (5 batch calls of 1,000) while one worker runs; time both."""
    from devstack.sendgrid import SendGridStandIn
    from notifications_app.models import Notification, Status
    from notifications_app.registry import TEMPLATES
    from notifications_app.services import notification_send_batch
    from notifications_app.validation import send_request_validate
    from vividly.redis_guard import client

    time.sleep(1)
    empty_queues()
    earlier_rows_set_aside()
    sample = TEMPLATES["content_ready"].sample
    with SendGridStandIn() as sendgrid:
        env = {**os.environ, "SENDGRID_API_KEY": sendgrid.api_key, "SENDGRID_API_URL": sendgrid.api_url}
        worker = subprocess.Popen(worker_command(), cwd=BASE_DIR, env=env)
        try:
            deadline = time.monotonic() + 30
            while not client("state").smembers("rq:workers") and time.monotonic() < deadline:
                time.sleep(0.05)
            started = time.monotonic()
            ids = []
            for batch in range(5):
                items = [
                    send_request_validate(
                        to=f"batch{batch}x{n}@example.edu",
                        template="content_ready",
                        context={**sample, "student_name": f"Student {n}"},
                    )
                    for n in range(1000)
                ]
                _, answered = notification_send_batch(items=items)
                ids += [item.notification.pk for item in answered]
            accepted = time.monotonic() - started
            rows = Notification.objects.filter(pk__in=ids)
            while rows.exclude(status=Status.SENT).exists() and time.monotonic() - started < 120:
                time.sleep(0.05)
            all_sent = time.monotonic() - started
        finally:
            worker.terminate()
            worker.wait(timeout=20)
        result = sent_summary(ids, sendgrid, all_sent)
    return {
        "summary": f"{result['sent']}/5000 sent in {result['calls']} provider calls, {result['twice']} twice: "
        f"accepted in {accepted:.2f} s, all sent {all_sent:.2f} s after the first call",
        "accepted_seconds": accepted,
        "all_sent_seconds": all_sent,
        "all_sent": result["all_sent"],
    }


def measure_render() -> dict:
    """Time rendering one email (subject, text and HTML) for every template."""
    from notifications_app.registry import TEMPLATES
    from notifications_app.rendering import render_email

    timings = []
    for name, spec in TEMPLATES.items():
        for round_ in range(600):
            started = time.perf_counter()
            render_email(name, spec.sample)
            if round_ >= 100:  # the first renders compile and cache the templates
                timings.append((time.perf_counter() - started) * 1000)
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=100)[94]
    return {
        "summary": f"subject+text+HTML, 7 templates x 500: p50 {p50:.3f} ms, p95 {p95:.3f} ms",
        "p95_ms": p95,
    }


def notification_scenarios(url: str) -> list[Scenario]:
    from notifications_app.registry import TEMPLATES
    from vividly.accounts.services import service_token_create

    _, key = service_token_create(name="bench-notifications")
    sample = TEMPLATES["content_ready"].sample
    lua = send_lua(sample)
    # In-process profiles send one address again and again (the bench lifts its limit).
    fixed = {"body": json.dumps({"to": "student@example.edu", "template": "content_ready", "context": sample})}
    return [
        Scenario(
            "floor: send",
            "/bench/floor/send",
            method="POST",
            headers={"Authorization": f"Bearer {key}"},
            body="{}",
            lua=lua,
            profile=fixed,
        ),
        Scenario(
            "notifications send (enqueue)",
            "/internal/v1/notifications/send",
            method="POST",
            headers={"Authorization": f"Bearer {key}"},
            body="{}",  # replaced per request by the Lua below
            lua=lua,
            profile=fixed,
            floor="floor: send",
            target=">=0.8x floor",
            check=floor_ratio_at_least(0.8),
        ),
        Scenario(
            "notifications worker throughput",
            measure=measure_workers_throughput(1),
            target=">= 600 emails/s (SQLite; 350 on PostgreSQL), ahead of post_office defaults",
            check=lambda row: row["emails_per_second"] >= worker_target(600, 350) and ahead_of(DEFAULTS)(row),
            needs=(DEFAULTS_ROW,),
        ),
        Scenario(
            # The strict window (RELIABILITY.md): no single send grouped, one call per email.
            "notifications worker, one call per email (EMAIL_GROUP_SINGLE_SENDS off)",
            measure=measure_workers_throughput(1, EMAIL_GROUP_SINGLE_SENDS="false"),
            target="ahead of post_office defaults",
            check=ahead_of(DEFAULTS),
            needs=(DEFAULTS_ROW,),
        ),
        Scenario(
            "notifications two workers",
            measure=measure_workers_throughput(2),
            target=">= 1,000 emails/s, ahead of post_office tuned",
            check=lambda row: row["emails_per_second"] >= 1000 and ahead_of(TUNED)(row),
            needs=(TUNED_ROW,),
        ),
        Scenario(
            "notifications content_ready batch of 5,000",
            measure=measure_batch_of_5000,
            target="accepted <= 5 s, all sent <= 10 s",
            check=lambda row: row["all_sent"] and row["accepted_seconds"] <= 5 and row["all_sent_seconds"] <= 10,
        ),
        Scenario(
            "notifications template render",
            measure=measure_render,
            target="p95 < 1 ms",
            check=lambda row: row["p95_ms"] < 1.0,
        ),
    ]
