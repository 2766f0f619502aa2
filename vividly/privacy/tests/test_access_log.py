"""The access log: recorded without a query, written in batches after the response, read by the API and admin."""

import json
from unittest import mock

import pytest
from django.db import DatabaseError
from django.urls import reverse

from vividly.accounts.tests.factories import StaffFactory, StudentFactory, TeacherFactory
from vividly.privacy import access_log
from vividly.privacy.access_log import access_log_flush, access_log_record
from vividly.privacy.digests import user_digest
from vividly.privacy.models import AccessLogEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_buffer():
    access_log.buffer.discard()
    yield
    access_log.buffer.discard()


def test_recording_costs_no_query_and_a_flush_writes_the_batch(django_assert_num_queries):
    student, teacher = StudentFactory(), TeacherFactory()
    with django_assert_num_queries(0):
        for _ in range(3):
            access_log_record(actor=teacher, subject=student, action="progress")
    assert not AccessLogEntry.objects.exists()
    with django_assert_num_queries(1):
        assert access_log_flush() == 3
    entry = AccessLogEntry.objects.first()
    assert (entry.actor, entry.actor_kind, entry.subject_id, entry.subject_username, entry.action) == (
        teacher.username,
        "teacher",
        student.pk,
        student.username,
        "progress",
    )
    assert entry.subject_digest == user_digest(student.pk)


def test_a_full_buffer_is_written_at_once(monkeypatch):
    monkeypatch.setattr(access_log, "FLUSH_AT", 2)
    student, staff = StudentFactory(), StaffFactory()
    access_log_record(actor=staff, subject=student, action="admin:user")
    assert AccessLogEntry.objects.count() == 0
    access_log_record(actor=staff, subject=student, action="admin:user")
    assert AccessLogEntry.objects.count() == 2


def test_entries_survive_a_database_error_until_the_next_flush():
    student = StudentFactory()
    access_log_record(actor=None, subject=student, action="export")
    with mock.patch.object(AccessLogEntry.objects, "bulk_create", side_effect=DatabaseError("down")):
        assert access_log_flush() == 0
    assert access_log_flush() == 1
    assert AccessLogEntry.objects.get().actor_kind == "operator"


def test_the_admin_page_of_a_user_is_logged_after_the_response(client):
    staff, student = StaffFactory(), StudentFactory()
    client.force_login(staff)
    response = client.get(reverse("admin:accounts_user_change", args=[student.pk]))
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get()
    assert (entry.actor, entry.actor_kind, entry.subject_username, entry.action) == (
        staff.username,
        "staff",
        student.username,
        "admin:user",
    )


def test_the_admin_action_downloads_the_export(client):
    staff, student = StaffFactory(), StudentFactory(username="pia")
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_changelist"), {"action": "export_data", "_selected_action": [student.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="vividly-export-pia.json"'
    export = json.loads(response.content)
    assert export["format"] == "vividly-export" and export["user"]["username"] == "pia"
    assert AccessLogEntry.objects.get().action == "export"


def test_the_access_log_admin_is_read_only(client):
    staff = StaffFactory()
    access_log_record(actor=staff, subject=StudentFactory(), action="admin:user")
    access_log_flush()
    client.force_login(staff)
    assert client.get(reverse("admin:privacy_accesslogentry_changelist")).status_code == 200
    assert client.get(reverse("admin:privacy_accesslogentry_add")).status_code == 403
    entry = AccessLogEntry.objects.get()
    assert (
        client.post(reverse("admin:privacy_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )


def test_the_access_log_endpoint_lists_entries_about_a_user_newest_first_paged(service_client):
    student, other, teacher = StudentFactory(), StudentFactory(), TeacherFactory()
    for action in ("progress", "analytics", "progress"):
        access_log_record(actor=teacher, subject=student, action=action)
    access_log_record(actor=teacher, subject=other, action="progress")
    access_log_flush()

    page = service_client.get(f"/internal/v1/privacy/access-log?username={student.username}&limit=2").json()

    assert page["count"] == 3 and page["next"]
    assert [row["action"] for row in page["results"]] == ["progress", "analytics"]
    assert page["results"][0]["actor"] == teacher.username and page["results"][0]["actor_kind"] == "teacher"
    assert service_client.get("/internal/v1/privacy/access-log?limit=x").status_code == 400


def test_during_a_long_outage_only_the_oldest_entries_are_dropped(monkeypatch, caplog):
    monkeypatch.setattr(access_log, "KEEP_AT_MOST", 3)
    student = StudentFactory()
    with mock.patch.object(AccessLogEntry.objects, "bulk_create", side_effect=DatabaseError("down")):
        for n in range(5):
            access_log_record(actor=None, subject=student, action=f"read-{n}")
            access_log_flush()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "access log buffer full: 1 oldest entries dropped"
    ] * 2
    assert access_log_flush() == 3
    assert sorted(AccessLogEntry.objects.values_list("action", flat=True)) == ["read-2", "read-3", "read-4"]

