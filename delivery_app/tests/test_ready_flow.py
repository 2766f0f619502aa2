"""Pending → ready → content_ready email, through the API, the signal and a real worker."""

import pytest
from django.core.cache import caches

from cache_app.tests.factories import metadata
from delivery_app.models import ContentRequest
from devstack.workers import drain
from notifications_app.models import Notification
from vividly.accounts.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db(transaction=True)

TRIPLE = {"topic_id": "optics-rainbows", "interest": "skateboarding", "style": "visual"}


def test_stored_content_makes_pending_requests_ready_and_emails_each_student_once(
    as_user, service_client, sendgrid, settings
):
    settings.APP_BASE_URL = "https://learn.example.edu"
    settings.EMAIL_LINK_HOSTS = [*settings.EMAIL_LINK_HOSTS, "learn.example.edu"]
    maya = StudentFactory(username="maya", email="maya@example.edu", display_name="Maya Lopez")
    leo = StudentFactory(username="leo42", email="leo@example.edu")
    for student in (maya, leo):
        response = as_user(student).post("/api/v1/content/requests", TRIPLE, format="json")
        assert response.json()["status"] == "pending"

    stored = service_client.post(
        "/internal/v1/cache/store", {**TRIPLE, "metadata": metadata(title="Rainbows in the Half-Pipe")}, format="json"
    )
    assert stored.status_code == 201
    drain()

    assert set(ContentRequest.objects.values_list("status", flat=True)) == {"ready"}
    assert ContentRequest.objects.filter(ready_at__isnull=False).count() == 2
    emails = {payload["personalizations"][0]["to"][0]["email"]: payload for payload in sendgrid.payloads}
    assert set(emails) == {"maya@example.edu", "leo@example.edu"}
    maya_email = emails["maya@example.edu"]
    assert "Rainbows in the Half-Pipe" in maya_email["subject"]
    text = maya_email["content"][0]["value"]  # text/plain comes first
    assert text.splitlines()[3] == "Hi Maya Lopez,"
    # The link is the student app's page, not this API service.
    assert f"https://learn.example.edu/watch/{stored.json()['cache_key']}" in text
    # Leo has no display name: a neutral greeting, never his username.
    leo_text = emails["leo@example.edu"]["content"][0]["value"]
    assert "Hi,\n" in leo_text and "leo42" not in leo_text

    # Storing it again (a better cut, say) emails nobody a second time.
    service_client.post(
        "/internal/v1/cache/store", {**TRIPLE, "metadata": metadata(title="Rainbows, take two")}, format="json"
    )
    drain()
    assert len(sendgrid.payloads) == 2
    assert Notification.objects.filter(template="content_ready").count() == 2


def test_with_the_queue_down_requests_become_ready_inline(as_user, service_client, settings):
    from devstack.redis_server import free_port
    from vividly.settings.base import redis_cache

    student = StudentFactory(email="kai@example.edu")
    as_user(student).post("/api/v1/content/requests", TRIPLE, format="json")
    caches["hot"].clear()
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {**settings.CACHES, "state": redis_cache(dead, prefix="x", timeout=None)}
    stored = service_client.post("/internal/v1/cache/store", {**TRIPLE, "metadata": metadata()}, format="json")
    assert stored.status_code == 201
    assert ContentRequest.objects.get(user=student).status == "ready"
    # The email is accepted (saved, queued) even though it cannot be enqueued yet: the sweep will.
    assert Notification.objects.get(to="kai@example.edu").status == "queued"
