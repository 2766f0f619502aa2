"""The webhook never loses a batch: SendGrid's own samples, alone, mixed and among broken
events, and every body issue 17 found answering 500; each readable event recorded once."""

import json
import logging
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError

from devstack.sendgrid_webhook import T0, post, post_body, sent_notification, sg_event
from notifications_app.models import Notification, ProviderEvent, Status, Suppression
from notifications_app.tests.sendgrid_samples import NAMES, RECORDED_TYPE, SAMPLE_RECIPIENT, for_notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhook_secret")]


@pytest.fixture
def sample_email() -> Notification:
    """The email SendGrid's samples are about: sent to their address."""
    return sent_notification(to=SAMPLE_RECIPIENT)


def recorded_types(notification: Notification) -> list[str]:
    return sorted(notification.events.values_list("event_type", flat=True))


def test_the_issue_example_records_the_readable_event(client, service_client):
    """Issue 17's reproduction: a string timestamp beside a delivered event (was 500, N showed no events)."""
    n = sent_notification(to="x@example.com")
    body = [
        {"email": "x@example.com", "timestamp": 1513299569, "event": "delivered", "response": "250 OK",
         "notification_id": str(n.pk)},
        {"event": "Processed", "timestamp": "123456789", "email": "alex@example.com", "notification_id": str(n.pk)},
    ]  # fmt: skip
    response = post(client, body)
    assert response.status_code == 200, response.content
    status = service_client.get(f"/internal/v1/notifications/{n.pk}/status").json()
    assert status["status"] == "delivered"
    assert [event["type"] for event in status["events"]] == ["delivered"]  # alex@ is not N's recipient


@pytest.mark.parametrize("name", NAMES)
def test_each_published_sample_alone_is_recorded_once(client, sample_email, name):
    event = for_notification(name, str(sample_email.pk))
    for _ in range(2):  # SendGrid repeats posts
        response = post(client, [event])
        assert response.status_code == 200, response.content
        assert response.json() == {"events": 1, "unreadable": 0}
    expected = [RECORDED_TYPE[name]] if name in RECORDED_TYPE else []
    assert recorded_types(sample_email) == expected


def test_every_published_sample_in_one_batch(client, sample_email):
    batch = [for_notification(name, str(sample_email.pk)) for name in NAMES]
    assert post(client, batch).json() == {"events": len(NAMES), "unreadable": 0}
    assert recorded_types(sample_email) == sorted(RECORDED_TYPE.values())
    sample_email.refresh_from_db()
    assert sample_email.status == Status.BOUNCED
    # The samples are dated 2017 (and 1973): clamped to when the email was created.
    assert sample_email.delivered_at == sample_email.created_at
    assert set(sample_email.events.values_list("occurred_at", flat=True)) == {sample_email.created_at}
    assert Suppression.objects.get().address == SAMPLE_RECIPIENT


BROKEN = [
    "x",
    [],
    17,
    None,
    {},
    {"timestamp": 1513299569, "email": SAMPLE_RECIPIENT},  # no `event`
    {"event": "delivered", "timestamp": 1e20, "email": SAMPLE_RECIPIENT},
    {"event": "delivered", "timestamp": "soon", "email": SAMPLE_RECIPIENT},
    {"event": "delivered", "timestamp": True, "email": SAMPLE_RECIPIENT},
    {"event": ["delivered"], "timestamp": 1513299569, "email": SAMPLE_RECIPIENT},
    {"event": "delivered", "timestamp": 1513299569, "email": {"address": SAMPLE_RECIPIENT}},
]


def test_samples_mixed_with_broken_events_are_all_recorded(client, sample_email, caplog):
    batch = []
    for name, broken in zip(NAMES, BROKEN + BROKEN[:3], strict=True):
        batch += [broken, for_notification(name, str(sample_email.pk))]
    with caplog.at_level(logging.WARNING, logger="vividly.notifications"):
        response = post(client, batch)
    assert response.status_code == 200
    assert response.json() == {"events": len(batch), "unreadable": len(NAMES)}
    assert recorded_types(sample_email) == sorted(RECORDED_TYPE.values())
    skipped = [record.getMessage() for record in caplog.records if "unreadable:" in record.getMessage()]
    assert len(skipped) == len(NAMES)
    assert any("no type" in message for message in skipped) and any("out of range" in message for message in skipped)
    assert not any(record.exc_info for record in caplog.records)


@pytest.mark.parametrize(
    ("body", "unreadable"),
    [
        ('[{"event": "delivered", "email": "maya@example.edu", "timestamp": 1e20, "notification_id": "%s"}]', 1),
        ('[{"email": "maya@example.edu", "timestamp": 1760000000, "notification_id": "%s"}]', 1),
        ('["x"]', 1),
        ("[[]]", 1),
    ],
    ids=["timestamp-1e20", "no-event", "string-item", "list-item"],
)
def test_a_batch_of_unreadable_events_is_answered_200_and_counted(client, body, unreadable):
    n = sent_notification()
    response = post_body(client, (body % n.pk if "%s" in body else body).encode())
    assert response.status_code == 200
    assert response.json()["unreadable"] == unreadable
    assert not ProviderEvent.objects.exists()


def test_a_bare_event_object_is_read_as_a_batch_of_one(client):
    n = sent_notification()
    response = post_body(client, json.dumps(sg_event(n, "delivered")).encode())
    assert response.json() == {"events": 1, "unreadable": 0}
    assert recorded_types(n) == ["delivered"]


@pytest.mark.parametrize("body", [b"", b"not json", b"null", b"17", b'"x"', b"[", b"\xff\xfe", b"true"])
def test_a_body_that_cannot_be_parsed_is_a_json_400(client, body):
    response = post_body(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


@pytest.mark.parametrize("attempt", ["1e400", "-1e400", "NaN", "Infinity"])
def test_non_finite_numbers_are_dropped_before_storage(client, attempt):
    """On PostgreSQL these were a 500; on SQLite the event vanished as a "repeat"."""
    n = sent_notification()
    # Python's json writes no such numbers, so the event's text is written out here.
    # `category` is a list in SendGrid's events, and one of the fields a stored event keeps.
    fields = {
        name: value for name, value in sg_event(n, "deferred", response="451 later").items() if name != "category"
    }
    known = json.dumps(fields)[1:-1]
    event = f'{{{known}, "attempt": {attempt}, "category": [1, {attempt}, {{"x": {attempt}}}]}}'
    response = post_body(client, f"[{event}]".encode())
    assert response.json() == {"events": 1, "unreadable": 0}
    record = n.events.get()
    assert "attempt" not in record.payload and record.payload["category"] == [1, {}]
    assert Notification.objects.get(pk=n.pk).status == Status.DEFERRED


@pytest.mark.parametrize(
    "timestamp", [T0 + 5, T0 * 1000 + 5000, str(T0 + 5), f"{T0 * 1000 + 5000}", f"{T0 + 5}.0"],
    ids=["seconds", "milliseconds", "string", "string-milliseconds", "string-float"],
)  # fmt: skip
def test_numeric_strings_and_milliseconds_are_normalised(client, timestamp):
    n = sent_notification()
    post(client, [{**sg_event(n, "delivered"), "timestamp": timestamp, "attempt": "2"}])
    n.refresh_from_db()
    assert n.delivered_at == datetime.fromtimestamp(T0 + 5, tz=UTC)
    assert n.events.get().payload["attempt"] == 2


def test_a_repeat_of_the_same_event_in_other_units_is_one_event(client):
    n = sent_notification()
    post(client, [sg_event(n, "delivered", T0), {**sg_event(n, "delivered"), "timestamp": str(T0 * 1000)}])
    assert recorded_types(n) == ["delivered"]


@pytest.mark.parametrize("event", ["open", "click"])
def test_an_open_or_click_sets_delivered_at_when_empty(client, event):
    n = sent_notification()
    post(client, [sg_event(n, event, T0 + 60, url="https://vividly.example.edu/x")])
    n.refresh_from_db()
    assert n.status == Status.DELIVERED and n.delivered_at == datetime.fromtimestamp(T0 + 60, tz=UTC)
    post(client, [sg_event(n, "delivered", T0 + 2), sg_event(n, event, T0 + 90, url="https://vividly.example.edu/y")])
    n.refresh_from_db()
    assert n.delivered_at == datetime.fromtimestamp(T0 + 2, tz=UTC)  # the delivered event's own time wins


def test_a_time_before_the_notification_is_clamped_and_logged(client, caplog):
    n = sent_notification()
    with caplog.at_level(logging.INFO, logger="vividly.notifications"):
        post(client, [sg_event(n, "delivered", T0 - 86_400)])
    n.refresh_from_db()
    assert n.delivered_at == n.created_at == n.events.get().occurred_at
    assert any("clamped" in record.getMessage() for record in caplog.records)


def test_only_the_dedupe_keys_violation_counts_as_a_repeat(client, monkeypatch, caplog):
    """Another refusal of the database is that event's fault: logged and counted, never a silent "repeat"."""
    n = sent_notification()
    real_create = ProviderEvent.objects.create

    def refuse_deliveries(**fields):
        if fields["event_type"] == "delivered":
            raise IntegrityError("CHECK constraint failed: payload")
        return real_create(**fields)

    monkeypatch.setattr(ProviderEvent.objects, "create", refuse_deliveries)
    with caplog.at_level(logging.WARNING, logger="vividly.notifications"):
        response = post(client, [sg_event(n, "delivered"), sg_event(n, "open", T0 + 9)])
    assert response.json() == {"events": 2, "unreadable": 1}
    assert recorded_types(n) == ["opened"]
    assert any("not storable: CHECK constraint failed" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("credentials", [None, "sendgrid:wrong"])
def test_an_unauthenticated_post_is_a_json_401_without_a_traceback(client, caplog, credentials):
    n = sent_notification()
    with caplog.at_level(logging.DEBUG):
        response = post(client, [sg_event(n, "bounce", type="bounce")], credentials=credentials)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Basic")
    assert not any(record.exc_info for record in caplog.records)
    assert [record.getMessage() for record in caplog.records if record.name == "vividly.notifications"] == [
        "SendGrid webhook post refused: Missing or invalid basic auth in Anymail SendGrid webhook"
    ]
    assert not ProviderEvent.objects.exists() and not Suppression.objects.exists()
