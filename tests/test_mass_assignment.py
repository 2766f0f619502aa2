"""No field the contract does not offer is settable (OWASP API3, mass assignment).

Each request carries, beside its real fields, the fields a client might hope to
forge: ids, owners, statuses, counters, timestamps, derived keys. The server ignores
them; what is stored is what the server decided.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cache_app.models import CacheEntry
from cache_app.tests.factories import store_body
from delivery_app.models import ContentRequest, RequestStatus, ViewSession
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content
from notifications_app.models import Notification, Status
from notifications_app.registry import TEMPLATES

pytestmark = pytest.mark.django_db

FORGED_ID = "0badc0de-0000-4000-8000-000000000000"
LONG_AGO = "2001-01-01T00:00:00Z"


def recent(value: str) -> bool:
    return abs(datetime.fromisoformat(value) - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_content_request_belongs_to_its_caller_and_its_status_is_the_caches(as_user, school):
    triple = {"topic_id": "optics", "interest": "surfing", "style": "visual"}
    forged = {
        "id": FORGED_ID,
        "user": school["student_b"].pk,
        "student": school["student_b"].username,
        "status": RequestStatus.READY,
        "cache_key": "f" * 64,
        "created_at": LONG_AGO,
        "ready_at": LONG_AGO,
    }
    response = as_user(school["student_a"]).post("/api/v1/content/requests", {**triple, **forged}, format="json")
    assert response.status_code == 201
    body = response.json()
    key = hashlib.sha256(b"optics|surfing|visual").hexdigest()
    assert body["id"] != FORGED_ID and body["cache_key"] == key
    assert body["status"] == "pending" and body["ready_at"] is None and recent(body["created_at"])
    assert body["student"] == school["student_a"].username
    stored = ContentRequest.objects.get()
    assert (stored.user, stored.cache_key, stored.status) == (school["student_a"], key, RequestStatus.PENDING)
    assert not ContentRequest.objects.filter(user=school["student_b"]).exists()


def test_asking_for_cached_content_as_pending_still_says_ready(as_user, school):
    content = stored_content()
    body = {field: content[field] for field in ("topic_id", "interest", "style")}
    response = as_user(school["student_a"]).post(
        "/api/v1/content/requests", {**body, "status": "pending"}, format="json"
    )
    assert response.json()["status"] == "ready"


def test_a_cancel_takes_nothing_from_the_body(as_user, school):
    pending = requested(school["student_a"], stored_content(), status=RequestStatus.PENDING)
    forged = {"status": RequestStatus.READY, "error_code": "forged", "user": school["student_b"].pk}
    response = as_user(school["student_a"]).delete(f"/api/v1/content/requests/{pending.pk}", forged, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error_code"]) == ("cancelled", "")
    pending.refresh_from_db()
    assert (pending.user, pending.status, pending.error_code) == (school["student_a"], "cancelled", "")


def test_a_request_cannot_claim_its_own_failure(as_user, school):
    triple = {"topic_id": "optics", "interest": "surfing", "style": "visual"}
    forged = {"status": RequestStatus.FAILED, "error_code": "forged"}
    body = as_user(school["student_a"]).post("/api/v1/content/requests", {**triple, **forged}, format="json").json()
    assert (body["status"], body["error_code"]) == ("pending", "")


def test_store_computes_the_key_and_stamps_the_time(service_client):
    body = store_body()
    body["metadata"]["cached_at"] = LONG_AGO
    forged = {"cache_key": "e" * 64, "cached_at": LONG_AGO, "stored": False}
    response = service_client.post("/internal/v1/cache/store", {**body, **forged}, format="json")
    assert response.status_code == 201
    stored = response.json()
    key = hashlib.sha256("|".join(body[f] for f in ("topic_id", "interest", "style")).encode()).hexdigest()
    assert stored["cache_key"] == key and stored["stored"] is True and recent(stored["cached_at"])
    assert not CacheEntry.objects.filter(pk="e" * 64).exists()
    check = service_client.post(
        "/internal/v1/cache/check", {f: body[f] for f in ("topic_id", "interest", "style")}, format="json"
    ).json()
    assert check["cache_key"] == key
    assert check["metadata"]["cached_at"] == datetime.fromisoformat(stored["cached_at"]).isoformat()
    assert service_client.post("/internal/v1/cache/check", {"cache_key": "e" * 64}, format="json").status_code == 400


def test_a_sent_notification_starts_queued_whatever_it_claims(service_client):
    forged = {
        "id": FORGED_ID,
        "status": Status.DELIVERED,
        "attempts": 7,
        "sent_at": LONG_AGO,
        "delivered_at": LONG_AGO,
        "provider_message_id": "forged",
        "batch_id": FORGED_ID,
        "created_at": LONG_AGO,
    }
    request = {"to": "maya@example.edu", "template": "welcome_student", "context": TEMPLATES["welcome_student"].sample}
    response = service_client.post("/internal/v1/notifications/send", {**request, **forged}, format="json")
    assert response.status_code == 202
    assert response.json()["status"] == "queued" and response.json()["id"] != FORGED_ID
    notification = Notification.objects.get()
    assert notification.status == Status.QUEUED and notification.attempts == 0
    assert notification.sent_at is None and notification.delivered_at is None
    assert notification.provider_message_id == "" and notification.batch_id is None
    assert timezone.now() - notification.created_at < timedelta(minutes=1)


def test_batch_recipients_cannot_carry_their_own_state(service_client):
    recipient = {
        "to": "maya@example.edu",
        "context": TEMPLATES["welcome_student"].sample,
        "id": FORGED_ID,
        "status": "delivered",
        "attempts": 3,
    }
    response = service_client.post(
        "/internal/v1/notifications/send/batch",
        {"template": "welcome_student", "recipients": [recipient], "batch_id": FORGED_ID},
        format="json",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["batch_id"] != FORGED_ID and body["notifications"][0]["id"] != FORGED_ID
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (Status.QUEUED, 0)
    assert str(notification.batch_id) == body["batch_id"]


def test_a_view_takes_its_device_from_the_user_agent_and_its_duration_from_the_video(as_user, school):
    content = stored_content()
    requested(school["student_a"], content)
    forged = {
        "quality": "1080p",
        "user": school["student_b"].pk,
        "device_type": "bot",
        "browser": "Forged",
        "duration_seconds": 1,
        "watched_seconds": 500,
        "completed": True,
        "started_at": LONG_AGO,
    }
    response = as_user(school["student_a"]).post(
        f"/api/v1/content/{content['cache_key']}/view",
        forged,
        format="json",
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    )
    assert response.status_code == 201
    view = ViewSession.objects.get(pk=response.json()["view_id"])
    assert view.user == school["student_a"] and view.quality == "1080p"
    assert (view.device_type, view.browser) == ("mobile", "Mobile Safari")
    assert view.duration_seconds == 120 and view.watched_seconds == 0 and not view.completed
    assert recent(response.json()["started_at"])


def test_progress_and_completion_are_computed_not_claimed(as_user, school):
    content = stored_content()
    requested(school["student_a"], content)
    view = ViewSessionFactory(user=school["student_a"], cache_key=content["cache_key"], duration_seconds=120)
    api = as_user(school["student_a"])
    forged = {"watched_seconds": 120, "completed": True, "completed_at": LONG_AGO, "furthest_position_seconds": 120}
    state = api.post(
        f"/api/v1/content/{content['cache_key']}/progress",
        {"view_id": str(view.pk), "position_seconds": 100, **forged},
        format="json",
    ).json()
    # 100 s of position in the few milliseconds since the view started: almost none of it watched.
    assert state["completed"] is False and state["completed_at"] is None and state["watched_seconds"] < 1
    done = api.post(
        f"/api/v1/content/{content['cache_key']}/complete",
        {"view_id": str(view.pk), "completed_at": LONG_AGO, "watched_seconds": 120},
        format="json",
    ).json()
    assert done["completed"] is True and recent(done["completed_at"]) and done["watched_seconds"] < 1
    view.refresh_from_db()
    assert view.watched_seconds < 1 and timezone.now() - view.completed_at < timedelta(minutes=1)


def test_a_stranger_view_id_in_the_body_is_not_adopted(as_user, school):
    """view start ignores a view_id in its body: the server makes a new one."""
    content = stored_content()
    requested(school["student_a"], content)
    other = ViewSessionFactory(user=school["student_b"], cache_key=content["cache_key"])
    body = {"view_id": str(other.pk), "id": str(uuid.uuid4())}
    response = as_user(school["student_a"]).post(f"/api/v1/content/{content['cache_key']}/view", body, format="json")
    assert response.json()["view_id"] != str(other.pk)
    assert ViewSession.objects.get(pk=other.pk).user == school["student_b"]
