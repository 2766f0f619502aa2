"""The internal API: send, batch, status; validation, idempotency and the per-recipient limit."""

import uuid

import pytest
from django.utils import timezone

from notifications_app.models import Notification, ProviderEvent
from notifications_app.queueing import queue
from notifications_app.registry import TEMPLATES
from vividly.accounts.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

SEND = "/internal/v1/notifications/send"
BATCH = "/internal/v1/notifications/send/batch"


def body(template="welcome_student", to="maya@example.edu", **extra):
    return {"to": to, "template": template, "context": dict(TEMPLATES[template].sample), **extra}


def post(client, url, data, capture=None):
    if capture is None:
        return client.post(url, data, format="json")
    with capture(execute=True):
        return client.post(url, data, format="json")


def error(response, status, code):
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


def queued_ids(name):
    return [job.args[0] for job in queue(name).get_jobs()]


def test_send_saves_the_row_and_enqueues_it_after_commit(service_client, django_capture_on_commit_callbacks):
    response = post(service_client, SEND, body(priority="high"), django_capture_on_commit_callbacks)
    assert response.status_code == 202
    assert response.json() == {"id": response.json()["id"], "status": "queued"}
    notification = Notification.objects.get(pk=response.json()["id"])
    assert (notification.to, notification.template, notification.priority) == (
        "maya@example.edu",
        "welcome_student",
        "high",
    )
    assert notification.context == TEMPLATES["welcome_student"].sample
    assert queued_ids("high") == [str(notification.pk)]
    assert queued_ids("default") == queued_ids("low") == []


@pytest.mark.parametrize(("priority", "queue_name"), [("low", "low"), ("normal", "default"), ("high", "high")])
def test_each_priority_has_its_queue(service_client, django_capture_on_commit_callbacks, priority, queue_name):
    response = post(service_client, SEND, body(priority=priority), django_capture_on_commit_callbacks)
    assert queued_ids(queue_name) == [response.json()["id"]]


def test_priority_defaults_to_normal(service_client):
    response = post(service_client, SEND, body())
    assert Notification.objects.get(pk=response.json()["id"]).priority == "normal"


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"template": "no_such_template"}, "template", "Unknown template"),
        ({"to": "not-an-address"}, "to", "valid email"),
        ({"to": "maya@example.edu\nBcc: x@example.com"}, "to", "valid email"),
        ({"context": {"student_name": "Maya"}}, "context", "'login_url'"),
        ({"context": {"student_name": "Maya", "login_url": None}}, "context", "'login_url'"),
        ({"context": {"login_url": "https://a.test/"}}, "context", "'student_name'"),
        ({"context": {"student_name": "Maya", "login_url": ""}}, "context", "'login_url'"),
        ({"context": {"student_name": "Maya", "login_url": "javascript:alert(1)"}}, "context", "http(s) URL"),
        ({"context": {"student_name": "Maya", "login_url": "/login"}}, "context", "http(s) URL"),
        (
            {"context": {**TEMPLATES["welcome_student"].sample, "help_url": "https://a.test/u\r\nBcc: x@y.z"}},
            "context",
            "'help_url' must be an absolute http(s) URL",
        ),
        ({"context": ["a", "list"]}, "context", "JSON object"),
        ({"context": "text"}, "context", "JSON object"),
        ({"priority": "urgent"}, "priority", "valid choice"),
    ],
)
def test_validation_errors_are_400_per_field(service_client, change, field, fragment):
    response = post(service_client, SEND, {**body(), **change})
    details = error(response, 400, "validation_error")["details"]
    assert fragment in " ".join(details[field])
    assert not Notification.objects.exists()


def test_missing_fields_are_listed(service_client):
    details = error(post(service_client, SEND, {}), 400, "validation_error")["details"]
    assert {"to", "template", "context"} <= set(details)


def test_several_problems_are_reported_together(service_client):
    response = post(service_client, SEND, {"to": "nope", "template": "password_reset", "context": {"name": "M"}})
    details = error(response, 400, "validation_error")["details"]
    assert set(details) == {"to", "context"}
    assert len(details["context"]) == 2  # reset_url and expires_in_minutes


def test_malformed_json_is_400(service_client):
    response = service_client.generic("POST", SEND, "{not json", content_type="application/json")
    error(response, 400, "malformed_json")


def test_extra_context_variables_are_kept(service_client):
    data = body(context={**TEMPLATES["welcome_student"].sample, "school": "Hill High"})
    response = post(service_client, SEND, data)
    assert Notification.objects.get(pk=response.json()["id"]).context["school"] == "Hill High"


def test_callers_must_be_services_or_staff(api_client, as_user, school):
    error(post(api_client, SEND, body()), 401, "not_authenticated")
    error(post(as_user(StudentFactory()), SEND, body()), 403, "permission_denied")
    assert post(as_user(school["staff"]), SEND, body()).status_code == 202


def test_the_same_idempotency_key_and_request_replays_the_first(service_client, django_capture_on_commit_callbacks):
    first = post(service_client, SEND, body(idempotency_key="reset-42"), django_capture_on_commit_callbacks)
    again = post(service_client, SEND, body(idempotency_key="reset-42"), django_capture_on_commit_callbacks)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert Notification.objects.count() == 1
    assert queued_ids("default") == [first.json()["id"]]  # one job: nothing more is sent


def test_the_same_idempotency_key_with_another_request_is_409(service_client):
    first = post(service_client, SEND, body(idempotency_key="k-1"))
    other = post(service_client, SEND, body(idempotency_key="k-1", to="someone@example.edu"))
    assert error(other, 409, "idempotency_conflict")["details"] == {"id": first.json()["id"]}
    other_priority = post(service_client, SEND, body(idempotency_key="k-1", priority="high"))
    error(other_priority, 409, "idempotency_conflict")
    assert Notification.objects.count() == 1


def test_the_per_recipient_limit_is_429_with_retry_after(service_client, settings):
    settings.EMAIL_RECIPIENT_LIMIT_PER_HOUR = 2
    for _ in range(2):
        assert post(service_client, SEND, body()).status_code == 202
    response = post(service_client, SEND, body(to="MAYA@example.edu"))
    error(response, 429, "recipient_rate_limited")
    assert 3500 <= int(response["Retry-After"]) <= 3600
    # Another template, or another address, has its own allowance.
    assert post(service_client, SEND, body(template="welcome_teacher")).status_code == 202
    assert post(service_client, SEND, body(to="leo@example.edu")).status_code == 202
    assert Notification.objects.count() == 4


def test_validation_and_replay_come_before_the_recipient_limit(service_client, settings):
    settings.EMAIL_RECIPIENT_LIMIT_PER_HOUR = 1
    first = post(service_client, SEND, body(idempotency_key="once"))
    assert first.status_code == 202
    # A replay is answered, not throttled, and uses no slot.
    assert post(service_client, SEND, body(idempotency_key="once")).json()["id"] == first.json()["id"]
    # An invalid request is a 400, not a 429.
    error(post(service_client, SEND, body(context={})), 400, "validation_error")
    error(post(service_client, SEND, body()), 429, "recipient_rate_limited")


def test_batch_queues_the_valid_and_reports_the_invalid_in_order(
    service_client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_RECIPIENT_LIMIT_PER_HOUR = 1
    sample = TEMPLATES["content_ready"].sample
    recipients = [
        {"to": "a@example.edu", "context": sample},
        {"to": "not-an-address", "context": sample},
        {"to": "b@example.edu", "context": {"student_name": "B"}},
        "not an object",
        {"to": "c@example.edu", "context": sample},
        {"to": "a@example.edu", "context": sample},  # over the per-recipient limit
    ]
    response = post(
        service_client,
        BATCH,
        {"template": "content_ready", "priority": "low", "recipients": recipients},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 202
    data = response.json()
    items = data["notifications"]
    assert [item["to"] for item in items] == [
        "a@example.edu",
        "not-an-address",
        "b@example.edu",
        None,
        "c@example.edu",
        "a@example.edu",
    ]
    queued = [items[0], items[4]]
    assert all(item["status"] == "queued" and "error" not in item for item in queued)
    assert [item["error"]["code"] for item in (items[1], items[2], items[3], items[5])] == [
        "validation_error",
        "validation_error",
        "validation_error",
        "recipient_rate_limited",
    ]
    assert all("id" not in item for item in (items[1], items[2], items[3], items[5]))
    assert "content_url" in items[2]["error"]["message"]
    rows = Notification.objects.filter(batch_id=data["batch_id"])
    assert {str(row.pk) for row in rows} == {item["id"] for item in queued}
    assert sorted(queued_ids("low")) == sorted(item["id"] for item in queued)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"template": "nope", "recipients": [{"to": "a@example.edu", "context": {}}]}, "template"),
        ({"template": "welcome_student", "recipients": []}, "recipients"),
        ({"template": "welcome_student", "recipients": [{"to": "a@b.edu", "context": {}}] * 1001}, "recipients"),
        ({"template": "welcome_student", "recipients": {"to": "a@b.edu"}}, "recipients"),
    ],
)
def test_batch_request_errors_are_400(service_client, data, field):
    details = error(post(service_client, BATCH, data), 400, "validation_error")["details"]
    assert field in details
    assert not Notification.objects.exists()


def test_batch_of_1000_is_bulk_inserted(service_client, django_assert_max_num_queries):
    sample = TEMPLATES["welcome_student"].sample
    recipients = [{"to": f"s{n}@example.edu", "context": sample} for n in range(1000)]
    # Bulk: SQLite's cap on bound parameters splits the insert into ~16 statements, not 1000.
    with django_assert_max_num_queries(30):
        response = post(service_client, BATCH, {"template": "welcome_student", "recipients": recipients})
    assert response.status_code == 202
    assert Notification.objects.count() == 1000


def test_status_lists_provider_events_oldest_first(service_client):
    notification = Notification.objects.create(to="maya@example.edu", template="welcome_student", attempts=1)
    later, earlier = timezone.now(), timezone.now() - timezone.timedelta(minutes=5)
    events = (("opened", None, "ev-3"), ("delivered", later, "ev-2"), ("queued", earlier, "ev-1"))
    for kind, at, event_id in events:
        ProviderEvent.objects.create(
            notification=notification, event_type=kind, provider_event_id=event_id, occurred_at=at, dedupe_key=event_id
        )
    response = service_client.get(f"/internal/v1/notifications/{notification.pk}/status")
    assert response.status_code == 200
    data = response.json()
    assert {k: data[k] for k in ("id", "to", "template", "status", "attempts", "sent_at", "delivered_at")} == {
        "id": str(notification.pk),
        "to": "maya@example.edu",
        "template": "welcome_student",
        "status": "queued",
        "attempts": 1,
        "sent_at": None,
        "delivered_at": None,
    }
    assert data["created_at"]
    # Oldest first; an event SendGrid sent without a time counts from its arrival (now).
    assert [e["provider_event_id"] for e in data["events"]] == ["ev-1", "ev-2", "ev-3"]
    assert [e["type"] for e in data["events"]] == ["queued", "delivered", "opened"]
    assert data["events"][0]["occurred_at"].startswith(earlier.isoformat()[:19])


def test_status_of_an_unknown_id_is_404(service_client):
    error(service_client.get(f"/internal/v1/notifications/{uuid.uuid4()}/status"), 404, "not_found")
    error(service_client.get("/internal/v1/notifications/not-a-uuid/status"), 404, "not_found")


def test_wrong_method_is_405(service_client):
    error(service_client.get(SEND), 405, "method_not_allowed")


def test_the_schema_documents_the_endpoints(api_client):
    paths = api_client.get("/api/schema/").json()["paths"]
    assert {"/internal/v1/notifications/send", "/internal/v1/notifications/send/batch"} <= set(paths)
    assert "/internal/v1/notifications/{notification_id}/status" in paths
    assert set(paths["/internal/v1/notifications/send"]["post"]["responses"]) >= {"202", "400", "409", "429"}


def test_batch_a_null_recipient_fails_alone(service_client, django_capture_on_commit_callbacks):
    """Issue 17: the schema lets an item be any JSON value; a null one was a 400 for the whole batch."""
    sample = TEMPLATES["content_ready"].sample
    recipients = [None, {"to": "a@example.edu", "context": sample}]
    response = post(
        service_client,
        BATCH,
        {"template": "content_ready", "recipients": recipients},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 202, response.content
    items = response.json()["notifications"]
    assert items[0]["to"] is None and items[0]["error"]["code"] == "validation_error"
    assert items[1]["status"] == "queued"
