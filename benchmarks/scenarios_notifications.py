"""Notifications: accepting a send over HTTP, one worker draining a queue to SendGrid, rendering."""

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from benchmarks.scenarios import Scenario, floor_ratio_at_least

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


def empty_queues() -> None:
    from notifications_app.queueing import queue

    for name in QUEUES:
        queue(name).empty()
        for job_id in queue(name).scheduled_job_registry.get_job_ids():
            queue(name).scheduled_job_registry.remove(job_id)


def measure_worker_throughput() -> dict:
    """Queue N emails, then time one `rqworker --burst` process sending them all to the stand-in."""
    from devstack.sendgrid import SendGridStandIn
    from notifications_app.models import Notification, Status
    from notifications_app.registry import TEMPLATES
    from notifications_app.services import notification_send_batch
    from notifications_app.validation import send_request_validate

    # The HTTP scenario left thousands of jobs behind, and gunicorn may still be answering
    # requests wrk had already sent: let those land, then measure only our emails.
    time.sleep(1)
    empty_queues()
    sample = TEMPLATES["content_ready"].sample
    batch_ids = []
    for start in range(0, WORKER_EMAILS, 1000):
        count = min(1000, WORKER_EMAILS - start)
        items = [
            send_request_validate(to=f"worker{start + n}@example.edu", template="content_ready", context=sample)
            for n in range(count)
        ]
        batch_id, _ = notification_send_batch(items=items)
        batch_ids.append(batch_id)

    with SendGridStandIn() as sendgrid:
        env = {**os.environ, "SENDGRID_API_KEY": sendgrid.api_key, "SENDGRID_API_URL": sendgrid.api_url}
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "manage.py", "rqworker", *QUEUES, "--burst", "--verbosity", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        elapsed = time.monotonic() - started
        recipients = Counter(payload["personalizations"][0]["to"][0]["email"] for payload in sendgrid.payloads)

    rows = Notification.objects.filter(batch_id__in=batch_ids)
    sent = rows.filter(status=Status.SENT).count()
    first, last = (rows.order_by(field).values_list("sent_at", flat=True).first() for field in ("sent_at", "-sent_at"))
    steady = (sent - 1) / (last - first).total_seconds() if sent > 1 and last != first else 0.0
    rate = sent / elapsed
    twice = sum(1 for count in recipients.values() if count > 1)
    return {
        "summary": f"{sent}/{WORKER_EMAILS} sent, {twice} twice, in {elapsed:.1f} s: "
        f"{rate:.0f}/s ({steady:.0f}/s after start-up)",
        "emails_per_second": rate,
        "all_sent": sent == WORKER_EMAILS == len(recipients) and not twice,
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
    lua = send_lua(TEMPLATES["content_ready"].sample)
    return [
        Scenario(
            "floor: send",
            "/bench/floor/send",
            method="POST",
            headers={"Authorization": f"Bearer {key}"},
            body="{}",
            lua=lua,
        ),
        Scenario(
            "notifications send (enqueue)",
            "/internal/v1/notifications/send",
            method="POST",
            headers={"Authorization": f"Bearer {key}"},
            body="{}",  # replaced per request by the Lua below
            lua=lua,
            floor="floor: send",
            target=">=0.8x floor",
            check=floor_ratio_at_least(0.8),
        ),
        Scenario(
            "notifications worker throughput",
            measure=measure_worker_throughput,
            target=">= 50 emails/s",
            check=lambda row: row["all_sent"] and row["emails_per_second"] >= 50,
        ),
        Scenario(
            "notifications template render",
            measure=measure_render,
            target="p95 < 1 ms",
            check=lambda row: row["p95_ms"] < 1.0,
        ),
    ]
