"""Queue Redis down while sends are accepted, and a worker SIGKILLed mid-drain: every email
accepted is delivered, and counted at the SendGrid stand-in by our notification id."""

import statistics
import time
from collections import Counter

import pytest
from rq import Worker

from devstack.redis_server import RedisServer
from devstack.sendgrid import delivered as delivered_of
from devstack.sendgrid_webhook import SECRET, echoed_events, post
from devstack.workers import alive, kill_tree, process_tree, wait_until
from notifications_app.claims import claim_chunk
from notifications_app.models import DeliveryAttempt, Notification, Outcome, Status
from notifications_app.registry import TEMPLATES
from tests.measurements import milliseconds, report
from vividly.redis_guard import client, reset_breakers
from vividly.settings.base import redis_cache

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SEND = "/internal/v1/notifications/send"
BATCH = "/internal/v1/notifications/send/batch"
TEMPLATE = "password_reset"
# The worker subprocesses sweep every second and take back a row queued for 1 s; the
# global rate is out of the way (it is scenario 3's subject).
FAST_SWEEP = {
    "EMAIL_SWEEP_INTERVAL_SECONDS": "1",
    "EMAIL_STUCK_AFTER_SECONDS": "1",
    "EMAIL_RATE_LIMIT_PER_MINUTE": "100000",
    "RQ_MAINTENANCE_INTERVAL_SECONDS": "1",
}

OUTAGE_SECONDS = 3.0


def unfinished() -> int:
    return Notification.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).count()


@pytest.fixture
def private_state_redis(settings):
    """Queues and rate limits on a Redis of the test's own, which it stops and starts.

    Database 3, the one the test settings give "state": a worker subprocess started with
    TEST_REDIS_URL set to this server's URL uses the same one.
    """
    server = RedisServer().start()
    settings.CACHES = {**settings.CACHES, "state": redis_cache(f"{server.url}/3", prefix="vividly:state", timeout=None)}
    settings.REDIS_BREAKER_RESET_SECONDS = 0.5
    reset_breakers()
    yield server
    server.stop()
    reset_breakers()


def test_queue_redis_down_while_sends_are_accepted(service_client, sendgrid, rqworker, private_state_redis):
    n = 50
    worker = rqworker.start(sendgrid, TEST_REDIS_URL=private_state_redis.url, **FAST_SWEEP)
    wait_until(lambda: Worker.count(connection=client("state")) == 1, what="the worker to start")

    private_state_redis.stop()
    down_at = time.monotonic()
    latencies, ids = [], []
    for number in range(n):
        body = {"to": f"student{number}@example.edu", "template": TEMPLATE, "context": TEMPLATES[TEMPLATE].sample}
        started = time.monotonic()
        response = service_client.post(SEND, body, format="json")
        latencies.append(time.monotonic() - started)
        assert response.status_code == 202, response.content
        assert response.json()["status"] == "queued"
        ids.append(response.json()["id"])
    assert Notification.objects.filter(pk__in=ids, status=Status.QUEUED).count() == n
    # Down for longer than a sweep interval and the breaker's reset: the worker rides it out.
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
    assert sendgrid.payloads == []
    assert alive(worker.pid), "the worker must ride out the outage"

    # Redis comes back empty (restarted without persistence): every job is gone.
    private_state_redis.start()
    back_at = time.monotonic()
    outage_seconds = back_at - down_at
    # The running worker's own sweep finds the rows still queued and a worker sends them.
    wait_until(lambda: unfinished() == 0, timeout=30, what="every email to be sent")
    recovery_seconds = time.monotonic() - back_at

    sent_ids = Counter(sendgrid.custom_args("notification_id"))
    duplicates = sum(count - 1 for count in sent_ids.values())
    report(
        "queue_redis_down",
        requests=n,
        accepted_202=len(ids),
        errors=n - len(ids),
        accept_latency_during_outage=milliseconds(latencies),
        outage_seconds=round(outage_seconds, 2),
        seconds_from_redis_back_to_all_sent=round(recovery_seconds, 2),
        seconds_total=round(time.monotonic() - down_at, 2),
        delivered_distinct=len(sent_ids),
        emails_lost=len(set(ids) - set(sent_ids)),
        duplicates=duplicates,
    )
    assert set(sent_ids) == set(ids)
    assert duplicates == 0
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_queue_redis_restarted_while_the_worker_drains(service_client, sendgrid, rqworker, private_state_redis):
    """Redis goes away between and around jobs (RQ's bookkeeping), not only while the worker waits.

    RQ quits its work loop on such an error (this test once found the worker, and the sweep
    inside it, gone); now the supervisor starts a new worker, whose scheduler comes back, and
    the sweeper beside it puts back what the outage lost.
    """
    first_batch, during = 100, 20
    sendgrid.delay = 0.02
    worker = rqworker.start(sendgrid, TEST_REDIS_URL=private_state_redis.url, **FAST_SWEEP)
    wait_until(lambda: Worker.count(connection=client("state")) == 1, what="the worker to start")
    ids = accept_singles(service_client, first_batch)
    wait_until(lambda: len(sendgrid.emails()) >= 30, timeout=20, what="the drain", poll=0.002)

    private_state_redis.stop()
    down_at = time.monotonic()
    sent_when_stopped = len(sendgrid.emails())
    for number in range(during):
        body = {"to": f"late{number}@example.edu", "template": TEMPLATE, "context": TEMPLATES[TEMPLATE].sample}
        response = service_client.post(SEND, body, format="json")
        assert response.status_code == 202
        ids.append(response.json()["id"])
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
    assert alive(worker.pid), "the worker must ride out the outage"

    private_state_redis.start()
    back_at = time.monotonic()
    wait_until(lambda: unfinished() == 0, timeout=30, what="every email to be sent")
    recovery_seconds = time.monotonic() - back_at

    # RQ's scheduler process (retries wait in its registry) died with the connection; it is back,
    # with a new worker if the outage ended the old one, or at the old one's next maintenance.
    wait_until(lambda: scheduler_running(worker), timeout=5, what="the scheduler to restart")

    sent_ids = Counter(sendgrid.custom_args("notification_id"))
    duplicates = sum(count - 1 for count in sent_ids.values())
    report(
        "queue_redis_restarted_mid_drain",
        emails=len(ids),
        accepted_during_outage=during,
        sent_before_outage=sent_when_stopped,
        outage_seconds=round(back_at - down_at, 2),
        worker_survived=alive(worker.pid),
        seconds_from_redis_back_to_all_sent=round(recovery_seconds, 2),
        delivered_distinct=len(sent_ids),
        emails_lost=len(set(ids) - set(sent_ids)),
        duplicates=duplicates,
    )
    assert set(sent_ids) == set(ids) and duplicates == 0
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}


def below_supervisor(worker) -> list[int]:
    """The live processes under the worker's supervisor: the rqworker and, if it runs, its scheduler."""
    return [pid for pid in process_tree(worker.pid)[1:] if alive(pid)]


def scheduler_running(worker) -> bool:
    """RQ's scheduler runs below the worker and holds the scheduler lock of every queue."""
    locks = [f"rq:scheduler-lock:{queue}" for queue in ("high", "default", "low")]
    return len(below_supervisor(worker)) >= 2 and client("state").exists(*locks) == len(locks)


def test_a_worker_that_waited_out_an_outage_starts_its_scheduler_again(sendgrid, rqworker, private_state_redis):
    """An idle worker rides a Redis restart out (its wait for a job retries) but its scheduler
    process dies with the connection; RQ starts it again only at the worker's next maintenance,
    which by RQ's default could be ten minutes away. Now it is RQ_MAINTENANCE_INTERVAL_SECONDS."""
    worker = rqworker.start(sendgrid, TEST_REDIS_URL=private_state_redis.url, **FAST_SWEEP)
    wait_until(lambda: scheduler_running(worker), what="the worker and its scheduler to start")
    rqworker_pid, scheduler_pid = below_supervisor(worker)

    private_state_redis.stop()
    wait_until(lambda: not alive(scheduler_pid), timeout=10, what="the scheduler to die with the connection")
    time.sleep(OUTAGE_SECONDS)
    private_state_redis.start()

    wait_until(lambda: scheduler_running(worker), timeout=10, what="the scheduler to restart")
    assert below_supervisor(worker)[0] == rqworker_pid, "the same worker, not a restarted one"


def accept_batch(service_client, n: int) -> list[str]:
    """Accept `n` emails through the batch endpoint (their sends are grouped calls); return their ids."""
    recipients = [{"to": f"learner{number}@example.edu", "context": TEMPLATES[TEMPLATE].sample} for number in range(n)]
    response = service_client.post(BATCH, {"template": TEMPLATE, "recipients": recipients}, format="json")
    assert response.status_code == 202, response.content
    return [item["id"] for item in response.json()["notifications"]]


def accept_singles(service_client, n: int) -> list[str]:
    """Accept `n` emails one request each; return their ids."""
    ids = []
    for number in range(n):
        body = {"to": f"learner{number}@example.edu", "template": TEMPLATE, "context": TEMPLATES[TEMPLATE].sample}
        response = service_client.post(SEND, body, format="json")
        assert response.status_code == 202, response.content
        ids.append(response.json()["id"])
    return ids


@pytest.mark.parametrize("provider_events", [False, True], ids=["no_webhook", "processed_events_arrive"])
def test_a_worker_killed_mid_drain_of_200_emails(service_client, client, sendgrid, rqworker, settings, provider_events):
    """SIGKILL a real worker after about 80 of 200 emails; a new worker and its sweep send the rest.

    With `EMAIL_GROUP_SINGLE_SENDS` off, as here, each single send is its own provider call,
    so at most one email is in the window (grouped calls: the test after the next).
    `processed_events_arrive`: SendGrid's `processed` events for what it accepted reach the
    webhook before the lease is over, as they normally do within seconds; they prove the
    interrupted call was accepted, so it is not sent again.
    """
    n, kill_after = 200, 80
    lease_env = {
        **FAST_SWEEP,
        "EMAIL_STUCK_AFTER_SECONDS": "2",
        "EMAIL_JOB_TIMEOUT_SECONDS": "3",
        "EMAIL_GROUP_SINGLE_SENDS": "false",
    }
    settings.EMAIL_JOB_TIMEOUT_SECONDS = 3  # the jobs this process enqueues carry it; the lease is 6 s
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    sendgrid.delay = 0.02  # the provider's latency: most of a job's time is the call, as in production

    ids = accept_singles(service_client, n)
    started = time.monotonic()
    first = rqworker.start(sendgrid, **lease_env)
    wait_until(lambda: len(sendgrid.payloads) >= kill_after, timeout=30, what="the drain", poll=0.002)
    processes = process_tree(first.pid)
    kill_tree(first)
    killed_at = time.monotonic()
    wait_until(lambda: not any(alive(pid) for pid in processes), timeout=5, what="the processes to die")

    received_before_kill = list(sendgrid.custom_args("notification_id"))
    claimed = Notification.objects.filter(status=Status.SENDING)
    # A job claims a chunk of rows (`claims.py`), but calls the provider for one at a time:
    # only a row whose attempt is still `started` may be in the provider's hands.
    in_flight = list(claimed.filter(delivery_attempts__outcome=Outcome.STARTED).values_list("pk", flat=True).distinct())
    # The window: the provider has the email, our row does not say so yet.
    in_window = [str(pk) for pk in in_flight if str(pk) in received_before_kill]
    claimed_at_kill = claimed.count()
    assert len(in_flight) <= 1  # one worker, one provider call at a time
    assert claimed_at_kill <= claim_chunk()
    if provider_events:
        events = [event for payload in sendgrid.payloads for event in echoed_events(payload, "processed")]
        assert post(client, events).status_code == 200

    rqworker.start(sendgrid, **lease_env)
    wait_until(lambda: unfinished() == 0, timeout=40, what="every email to be sent")
    finished_at = time.monotonic()

    sent_ids = Counter(sendgrid.custom_args("notification_id"))
    duplicates = sum(count - 1 for count in sent_ids.values())
    arrivals = [received.at for received in sendgrid.received[: len(received_before_kill)]]
    per_email = (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)
    call_seconds = [
        ms / 1000 for ms in DeliveryAttempt.objects.filter(outcome=Outcome.SENT).values_list("duration_ms", flat=True)
    ]
    report(
        f"worker_sigkill_{'with_events' if provider_events else 'no_webhook'}",
        emails=n,
        provider_latency_ms=sendgrid.delay * 1000,
        sent_before_kill=len(received_before_kill),
        rows_sending_at_kill=claimed_at_kill,
        rows_in_a_call_at_kill=len(in_flight),
        kill_landed_in_window=bool(in_window),
        seconds_kill_to_all_sent=round(finished_at - killed_at, 2),
        seconds_total=round(finished_at - started, 2),
        delivered_distinct=len(sent_ids),
        emails_lost=len(set(ids) - set(sent_ids)),
        duplicates=duplicates,
        duplicated_ids=[pk for pk, count in sent_ids.items() if count > 1],
        provider_call=milliseconds(call_seconds),
        ms_per_email=round(per_email * 1000, 1),
        # The share of a worker's time inside the window: the odds that a kill at a random
        # moment (this one was timed into it) sends one email twice.
        window_share_of_worker_time=round(statistics.median(call_seconds) / per_email, 2),
    )
    assert set(sent_ids) == set(ids) and len(sent_ids) == n
    assert duplicates <= 1
    assert Notification.objects.filter(status__in=[Status.QUEUED, Status.SENDING]).count() == 0
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    if provider_events:
        assert duplicates == 0
    else:
        # Only an email whose call reached the provider before the kill is sent twice.
        assert [pk for pk, count in sent_ids.items() if count > 1] == in_window
    for pk in in_flight:
        outcomes = list(DeliveryAttempt.objects.filter(notification=pk).values_list("outcome", flat=True))
        if provider_events and str(pk) in in_window:
            assert outcomes == [Outcome.STARTED]  # the event settled it; no second call
        else:
            assert outcomes == [Outcome.ABANDONED, Outcome.SENT]


@pytest.mark.parametrize("accepted_as", ["batch", "single_sends"])
def test_a_worker_killed_during_a_grouped_call_repeats_only_that_calls_recipients_once(
    service_client, sendgrid, rqworker, settings, accepted_as
):
    """SIGKILL a real worker while SendGrid holds a grouped call: a batch's emails, or single
    sends of one template claimed together (`EMAIL_GROUP_SINGLE_SENDS`, on by default).

    The call's recipients each have a `started` attempt: the sweep sends each of them again
    (the one repeat, here for a whole call, since nobody knows whether SendGrid accepted it);
    recipients of calls answered before the kill are never repeated, none is lost.
    """
    n = 300
    lease_env = {**FAST_SWEEP, "EMAIL_STUCK_AFTER_SECONDS": "2", "EMAIL_JOB_TIMEOUT_SECONDS": "3"}
    settings.EMAIL_JOB_TIMEOUT_SECONDS = 3
    ids = (accept_batch if accepted_as == "batch" else accept_singles)(service_client, n)
    sendgrid.delay = 1.0  # each grouped call is held a second: the kill lands inside the second one
    first = rqworker.start(sendgrid, **lease_env)
    wait_until(lambda: len(sendgrid.payloads) >= 2, timeout=30, what="the second grouped call", poll=0.002)
    processes = process_tree(first.pid)
    kill_tree(first)
    wait_until(lambda: not any(alive(pid) for pid in processes), timeout=5, what="the processes to die")
    payloads_at_kill = sendgrid.payloads
    in_call = {email.custom_args["notification_id"] for email in delivered_of(payloads_at_kill[-1])}
    answered = {e.custom_args["notification_id"] for p in payloads_at_kill[:-1] for e in delivered_of(p)}

    sendgrid.delay = 0.0
    rqworker.start(sendgrid, **lease_env)
    wait_until(lambda: unfinished() == 0, timeout=40, what="every email to be sent")

    sent_ids = Counter(sendgrid.custom_args("notification_id"))
    repeated = {pk for pk, count in sent_ids.items() if count > 1}
    report(
        f"worker_sigkill_during_grouped_call_of_{accepted_as}",
        emails=n,
        provider_calls=len(sendgrid.payloads),
        recipients_in_the_killed_call=len(in_call),
        recipients_answered_before_the_kill=len(answered),
        emails_lost=len(set(ids) - set(sent_ids)),
        repeated=len(repeated),
    )
    assert set(sent_ids) == set(ids)  # nothing lost
    assert max(sent_ids.values()) <= 2  # a repeat at most once
    assert repeated <= in_call and not repeated & answered  # only the recipients of the interrupted call
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
