"""SendGrid's Event Webhook replayed ten times, out of order, and forged: each real event is
recorded once and moves its email forward only; forged posts change nothing."""

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from django.db import connections
from django.forms.models import model_to_dict
from django.test import Client

from devstack.sendgrid_webhook import (
    SECRET,
    WebhookSigner,
    echoed_event,
    notification_id_of,
    per_recipient,
    post_body,
)
from devstack.workers import drain
from notifications_app.models import Notification, ProviderEvent, Status, Suppression
from notifications_app.registry import TEMPLATES
from notifications_app.services import notification_send
from tests.measurements import milliseconds, report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

REPLAYS = 10
SEED = 20261129

# What SendGrid reports for each email (event, seconds after t0, extra fields), and the
# status each must end at whatever the order: the forward-most one.
STORY = {
    "deferred.only": (
        [("processed", 0), ("deferred", 5, {"attempt": "1"}), ("deferred", 65, {"attempt": "2"})],
        Status.DEFERRED,
    ),
    "deferred.then.delivered": (
        [("processed", 0), ("deferred", 5, {"attempt": "1"}), ("delivered", 70)],
        Status.DELIVERED,
    ),
    "delivered.and.opened": ([("processed", 0), ("delivered", 3), ("open", 100), ("open", 200)], Status.DELIVERED),
    "opened.delivered.lost": ([("processed", 0), ("open", 50)], Status.DELIVERED),
    "hard.bounce": (
        [
            ("processed", 0),
            ("deferred", 2, {"attempt": "1"}),
            ("bounce", 4, {"type": "bounce", "status": "5.1.1", "reason": "550 5.1.1 unknown user"}),
        ],
        Status.BOUNCED,
    ),
    "nothing.yet": ([], Status.SENT),
}


@pytest.fixture
def signer(settings) -> WebhookSigner:
    """The signed webhook on, with Basic auth too (both as the README tells to set them)."""
    signer = WebhookSigner()
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": SECRET,
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": signer.verification_key,
    }
    return signer


def really_sent(sendgrid) -> dict[str, tuple[Notification, dict]]:
    """Send one email per story through the worker; return each with what SendGrid received."""
    by_name = {}
    for name in STORY:
        notification = notification_send(
            to=f"{name}@example.edu", template="welcome_student", context=TEMPLATES["welcome_student"].sample
        )
        by_name[name] = notification
    drain()
    # Emails of one template claimed together go as one grouped call: one view per recipient.
    payloads = {notification_id_of(one): one for payload in sendgrid.payloads for one in per_recipient(payload)}
    return {name: (notification, payloads[str(notification.pk)]) for name, notification in by_name.items()}


def snapshot() -> dict:
    """Every row the webhook could change."""
    return {
        "notifications": [model_to_dict(n) for n in Notification.objects.order_by("pk")],
        "events": list(ProviderEvent.objects.order_by("pk").values()),
        "suppressions": list(Suppression.objects.order_by("pk").values()),
    }


def replayed(events: list[dict], rng: random.Random) -> list[list[dict]]:
    """Return the posts of REPLAYS repeats of `events`, each split into three posts.

    SendGrid repeats events with a new sg_event_id each time, in any order and grouping; the
    first repeat here is newest first, the order that tests "forward only" hardest.
    """
    parts = []
    for replay in range(REPLAYS):
        batch = [{**event, "sg_event_id": f"{rng.getrandbits(64):016x}"} for event in events]
        if replay == 0:
            batch.sort(key=lambda event: event["timestamp"], reverse=True)
        else:
            rng.shuffle(batch)
        cut = sorted(rng.sample(range(1, len(batch)), 2))
        parts += [batch[: cut[0]], batch[cut[0] : cut[1]], batch[cut[1] :]]
    return parts


def post_signed(signer: WebhookSigner, events: list[dict]) -> tuple[int, float]:
    """Post `events` signed, from a connection of its own; return the status and the seconds taken."""
    started = time.monotonic()
    try:
        status = signer.post(Client(), events).status_code
    finally:
        connections.close_all()  # this thread's database connection
    return status, time.monotonic() - started


def test_replayed_out_of_order_and_forged(client, service_client, sendgrid, signer):
    rng = random.Random(SEED)
    emails = really_sent(sendgrid)
    # SendGrid reports on an email after it was sent (an earlier time would be clamped).
    t0 = int(time.time()) + 1
    events = [
        echoed_event(payload, event, t0 + offset, **(extra[0] if extra else {}))
        for name, (notification, payload) in emails.items()
        for event, offset, *extra in STORY[name][0]
    ]

    started = time.monotonic()
    parts = replayed(events, rng)
    # The newest-first replay goes alone, then the others from four connections at once, as
    # SendGrid's retries overlap with its new posts.
    first, rest = parts[:3], parts[3:]
    results = [post_signed(signer, part) for part in first]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results += pool.map(lambda part: post_signed(signer, part), rest)
    assert [status for status, _ in results] == [200] * len(parts)
    latencies = [seconds for _, seconds in results]
    recorded = ProviderEvent.objects.count()

    assert recorded == len(events)
    for name, (notification, _) in emails.items():
        notification.refresh_from_db()
        assert notification.status == STORY[name][1], name
        assert notification.events.count() == len(STORY[name][0]), name
    delivered = {name: emails[name][0].delivered_at for name in ("deferred.then.delivered", "delivered.and.opened")}
    assert delivered == {
        "deferred.then.delivered": datetime.fromtimestamp(t0 + 70, tz=UTC),
        "delivered.and.opened": datetime.fromtimestamp(t0 + 3, tz=UTC),
    }
    # The open proves delivery, and that it happened by then.
    assert emails["opened.delivered.lost"][0].delivered_at == datetime.fromtimestamp(t0 + 50, tz=UTC)
    assert list(Suppression.objects.values_list("address", "reason")) == [("hard.bounce@example.edu", "hard_bounce")]
    # The status endpoint lists each event once, oldest first.
    status = service_client.get(f"/internal/v1/notifications/{emails['delivered.and.opened'][0].pk}/status").json()
    assert [event["type"] for event in status["events"]] == ["queued", "delivered", "opened", "opened"]

    # Forgeries: events that would deliver, drop and bounce emails (and suppress an address).
    forged_events = [
        echoed_event(emails["nothing.yet"][1], "bounce", t0 + 9, type="bounce", reason="550 forged"),
        echoed_event(emails["deferred.only"][1], "delivered", t0 + 9),
        echoed_event(emails["opened.delivered.lost"][1], "dropped", t0 + 9, reason="Bounced Address"),
    ]
    forged_names = ["nothing.yet", "deferred.only", "opened.delivered.lost"]
    forged = json.dumps(forged_events).encode()
    genuine = json.dumps([events[0]]).encode()
    signed = signer.headers(forged)
    timestamp = signed["HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP"]
    before_forgeries = snapshot()
    forgeries = {
        "no basic auth": post_body(client, forged, None, **signed),
        "wrong basic password": post_body(client, forged, "sendgrid:guess", **signed),
        "wrong basic user": post_body(client, forged, "admin:hook-secret", **signed),
        "no signature": post_body(client, forged),
        "signed by another key": post_body(client, forged, **WebhookSigner().headers(forged)),
        "valid signature over another body": post_body(client, forged, **signer.headers(genuine)),
        "valid signature, other timestamp": post_body(
            client, forged, **{**signed, "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": str(int(timestamp) + 1)}
        ),
        "validly signed 10 minutes ago (a replay)": post_body(
            client, forged, **signer.headers(forged, timestamp=str(int(time.time()) - 600))
        ),
        "signature not base64": post_body(
            client, forged, **{**signed, "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": "not-a-signature"}
        ),
    }
    assert {name: response.status_code for name, response in forgeries.items()} == dict.fromkeys(forgeries, 401)
    assert snapshot() == before_forgeries
    assert not Suppression.objects.filter(address="nothing.yet@example.edu").exists()
    # Control: the same events, genuinely signed, would have changed all three emails.
    assert signer.post(client, forged_events).status_code == 200
    changed = {name: Notification.objects.get(pk=emails[name][0].pk).status for name in forged_names}
    assert changed == {
        "nothing.yet": Status.BOUNCED,
        "deferred.only": Status.DELIVERED,
        "opened.delivered.lost": Status.REJECTED,
    }

    report(
        "webhook_replay_and_forgery",
        emails=len(emails),
        distinct_events=len(events),
        replays=REPLAYS,
        posts=len(parts),
        concurrent_connections=4,
        events_posted=len(events) * REPLAYS,
        events_recorded=recorded,
        repeats_ignored=len(events) * (REPLAYS - 1),
        forged_posts=len(forgeries),
        forged_rejected=sum(1 for response in forgeries.values() if response.status_code == 401),
        rows_changed_by_forgeries=0,
        post_latency=milliseconds(latencies),
        seconds=round(time.monotonic() - started, 2),
        seed=SEED,
    )
