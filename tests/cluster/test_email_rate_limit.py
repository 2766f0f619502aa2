"""The global email rate (EMAIL_RATE_LIMIT_PER_MINUTE) holds for the cluster, whichever worker sends."""

import time
import uuid

import pytest
import redis
from rq import Worker

from tests.cluster.conftest import EMAIL_RATE_LIMIT_PER_MINUTE
from tests.cluster.support import call, service

pytestmark = pytest.mark.cluster

# The limiter stamps a slot just before the provider call: arrivals lag it by milliseconds.
WINDOW_SECONDS = 59.5


def most_in_any_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def jobs_done_per_worker(connection) -> dict[str, int]:
    return {worker.name: worker.successful_job_count for worker in Worker.all(connection=connection)}


def test_two_workers_together_never_send_more_than_the_global_rate(cluster):
    queue_redis = redis.Redis.from_url(cluster.queue_redis_url)
    before = jobs_done_per_worker(queue_redis)
    assert len(before) == 2
    extra = 50
    addresses = [f"rate-{uuid.uuid4().hex[:12]}@example.edu" for _ in range(EMAIL_RATE_LIMIT_PER_MINUTE + extra)]
    body = {
        "template": "welcome_student",
        "recipients": [
            {"to": address, "context": {"student_name": "Kim", "login_url": f"{cluster.entry_url}/login"}}
            for address in addresses
        ],
    }
    response = call(
        cluster.entry_url,
        "POST",
        "/internal/v1/notifications/send/batch",
        token=service(cluster),
        body=body,
        timeout=60,
    )
    assert response.status_code == 202, response.text
    assert all("id" in item for item in response.json()["notifications"])

    def ours() -> int:
        wanted = set(addresses)
        return sum(
            1
            for payload in cluster.sendgrid.payloads
            for personalization in payload.get("personalizations", [])
            if personalization["to"][0]["email"] in wanted
        )

    # Wait until sending stops: the limit is reached (or everything went, which fails below).
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() - quiet_since < 5:
        if (now := ours()) != last:
            last, quiet_since = now, time.monotonic()
        time.sleep(0.25)

    # One arrival per recipient: a batch goes as grouped calls, and the limit counts recipients.
    arrivals = [
        received.at
        for received in cluster.sendgrid.received
        if received.path == "/v3/mail/send"
        for _ in received.payload.get("personalizations", [])
    ]
    busiest = most_in_any_window(arrivals, WINDOW_SECONDS)
    after = jobs_done_per_worker(queue_redis)
    print(
        f"\n{len(addresses)} emails queued; {last} sent before the limit held; busiest {WINDOW_SECONDS:g} s: "
        f"{busiest} sends (limit {EMAIL_RATE_LIMIT_PER_MINUTE}/min); jobs per worker: "
        f"{ {name: after.get(name, 0) - before.get(name, 0) for name in after} }"
    )
    assert busiest <= EMAIL_RATE_LIMIT_PER_MINUTE
    # It was the limit that stopped them, not slow workers: the window is (nearly) full.
    recent = [at for at in arrivals if at > time.time() - 60]
    assert len(recent) >= EMAIL_RATE_LIMIT_PER_MINUTE - 5
    assert last < len(addresses)
    # Both workers took part.
    assert all(after[name] > before.get(name, 0) for name in after), (before, after)
