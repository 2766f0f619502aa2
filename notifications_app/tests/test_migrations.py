"""The data migrations (minimising rows stored before the privacy rules, categories of rows stored
before categories), run as `migrate` runs them."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications_app.models import Notification

BEFORE = [("notifications_app", "0002_notification_requested_by")]
AFTER = [("notifications_app", "0003_minimise_existing_rows")]
CATEGORIES = [("notifications_app", "0004_preferences_and_categories")]
CONTEXT = {"student_name": "Maya", "content_title": "Newton's laws", "content_url": "http://localhost:8000/w/1"}


@pytest.fixture(autouse=True)
def back_to_the_latest_schema():
    """Leave the database as the other tests expect it: every migration applied."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("notifications_app"))


@pytest.mark.django_db(transaction=True)
def test_rows_stored_before_categories_get_their_templates_category():
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    old_notification = executor.loader.project_state(AFTER).apps.get_model("notifications_app", "Notification")
    ready = old_notification.objects.create(to="maya@example.edu", template="content_ready", context=CONTEXT)
    welcome = old_notification.objects.create(to="maya@example.edu", template="welcome_student", context={})

    executor = MigrationExecutor(connection)
    executor.migrate(CATEGORIES)

    assert Notification.objects.get(pk=ready.pk).category == "content_updates"
    assert Notification.objects.get(pk=welcome.pk).category == "transactional"


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
    migrated = executor.loader.project_state(AFTER).apps
    Notification = migrated.get_model("notifications_app", "Notification")
    ProviderEvent = migrated.get_model("notifications_app", "ProviderEvent")

    assert Notification.objects.get(pk=delivered.pk).context == {"content_title": "Newton's laws"}
    assert Notification.objects.get(pk=queued.pk).context == CONTEXT  # it will still be rendered
    assert ProviderEvent.objects.get().payload == {"event": "click"}
