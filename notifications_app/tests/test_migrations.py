"""The data migration that minimises rows stored before the privacy rules, run as `migrate` runs it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications_app.models import Notification, ProviderEvent

BEFORE = [("notifications_app", "0002_notification_requested_by")]
AFTER = [("notifications_app", "0003_minimise_existing_rows")]
CONTEXT = {"student_name": "Maya", "content_title": "Newton's laws", "content_url": "http://localhost:8000/w/1"}


@pytest.mark.django_db(transaction=True)
def test_migrating_strips_event_payloads_and_redacts_final_notifications():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    old_notification = old.get_model("notifications_app", "Notification")
    old_event = old.get_model("notifications_app", "ProviderEvent")
    delivered = old_notification.objects.create(
        to="maya@example.edu", template="content_ready", context=CONTEXT, status="delivered"
    )
    queued = old_notification.objects.create(to="leo@example.edu", template="content_ready", context=CONTEXT)
    old_event.objects.create(
        notification=delivered,
        event_type="clicked",
        dedupe_key="c-1",
        payload={"event": "click", "ip": "203.0.113.9", "useragent": "Mozilla/5.0", "url": CONTEXT["content_url"]},
    )

    executor = MigrationExecutor(connection)  # a fresh graph, as a new `migrate` run has
    executor.migrate(AFTER)

    assert Notification.objects.get(pk=delivered.pk).context == {"content_title": "Newton's laws"}
    assert Notification.objects.get(pk=queued.pk).context == CONTEXT  # it will still be rendered
    assert ProviderEvent.objects.get().payload == {"event": "click"}
