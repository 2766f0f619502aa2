"""A user's export and erasure across every app: the export against a known fixture, and after the
erasure nothing in any table or any Redis key still holds their username, address or id."""

import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from delivery_app.models import ContentRequest, ViewSession
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content
from devstack.sendgrid_webhook import (
    T0,
    post,
    sent_notification,
    sg_event,
    webhook_secret,  # noqa: F401 - a fixture of the tracking test below
)
from notifications_app.models import DeliveryAttempt, Notification, ProviderEvent, Suppression
from notifications_app.privacy import hashed_address
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.accounts.models import Enrollment, User
from vividly.accounts.tests.factories import ClassroomFactory, StaffFactory, StudentFactory, TeacherFactory
from vividly.privacy.models import AccessLogEntry
from vividly.redis_guard import client
from vividly.settings.base import redis_cache

pytestmark = pytest.mark.django_db

# An id no counter reaches in a test, so finding its digits anywhere means it was kept.
STUDENT_ID = 987_654_321
EMAIL = "Zoe.Quill@Example.edu"


@pytest.fixture
def zoe(as_user):
    """A student with a row of every kind held about a user, and keys in Redis naming her."""
    student = StudentFactory(pk=STUDENT_ID, username="zoe-quill", email=EMAIL, display_name="Zoe Quill")
    teacher = TeacherFactory()
    classroom = ClassroomFactory(teacher=teacher, students=[student], name="Physics 7")
    content = stored_content()
    request = requested(student, content)
    view = ViewSessionFactory(user=student, cache_key=content["cache_key"], watched_seconds=42.0)
    notification = send(
        "welcome_student",
        to=EMAIL.lower(),
        context={**TEMPLATES["welcome_student"].sample, "student_name": "Zoe Quill"},
    )
    DeliveryAttempt.objects.create(notification=notification, number=1, outcome="sent", provider_message_id="m-1")
    ProviderEvent.objects.create(
        notification=notification,
        event_type="bounced",
        provider_message_id="m-1",
        recipient=EMAIL.lower(),
        payload={"email": EMAIL.lower(), "event": "bounce"},
        dedupe_key="d-1",
    )
    Suppression.objects.create(address=EMAIL.lower(), reason="hard_bounce", detail=f"550 {EMAIL.lower()} unknown")
    # The admin's history of a change to her names her.
    LogEntry.objects.create(
        user=StaffFactory(),
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(student.pk),
        object_repr=student.username,
        action_flag=CHANGE,
        change_message="[]",
    )
    # Her API throttle key comes from a real request; the recipient limit key from the send above.
    her_client = as_user(student)
    assert her_client.get("/api/v1/content/requests").status_code == 200
    # A failed login counts against her username (by its hash, so the text search cannot see it).
    failed = APIClient().post("/api/v1/auth/token", {"username": "zoe-quill", "password": "wrong"}, format="json")
    assert failed.status_code == 400 and login_failure_keys()
    return {
        "client": her_client,
        "student": student,
        "teacher": teacher,
        "classroom": classroom,
        "request": request,
        "view": view,
        "notification": notification,
    }


def login_failure_keys() -> list[bytes]:
    return list(client("state").scan_iter(match="vividly:limits:LIMITER/username/*"))


def test_the_export_holds_every_row_about_her_in_the_documented_layout(zoe, as_user):
    staff = StaffFactory()
    response = as_user(staff).get(f"/internal/v1/privacy/users/{zoe['student'].username}/export")
    assert response.status_code == 200
    export = response.json()
    assert export["format"] == "vividly-export" and export["version"] == 1
    assert set(export) == {
        "format",
        "version",
        "exported_at",
        "user",
        "enrolments",
        "classrooms",
        "content_requests",
        "view_sessions",
        "notifications",
        "suppressions",
        "cache_entries",
        "preferences",
        "access_log",
    }
    assert export["cache_entries"] == []  # a student stores no content
    assert export["user"]["username"] == "zoe-quill" and export["user"]["email"] == EMAIL
    # Her display name is personal data: exported with her profile.
    assert export["user"]["display_name"] == "Zoe Quill" and "password" not in export["user"]
    assert [row["classroom_id"] for row in export["enrolments"]] == [zoe["classroom"].pk]
    assert [row["name"] for row in export["classrooms"]] == ["Physics 7"]
    assert [row["id"] for row in export["content_requests"]] == [str(zoe["request"].pk)]
    [view] = export["view_sessions"]
    assert view["id"] == str(zoe["view"].pk) and view["watched_seconds"] == 42.0 and view["user_id"] == STUDENT_ID
    [notification] = export["notifications"]
    assert notification["id"] == str(zoe["notification"].pk) and notification["to"] == EMAIL.lower()
    assert notification["context"] == {**TEMPLATES["welcome_student"].sample, "student_name": "Zoe Quill"}
    assert [event["event_type"] for event in notification["events"]] == ["bounced"]
    assert [attempt["number"] for attempt in notification["delivery_attempts"]] == [1]
    assert [row["reason"] for row in export["suppressions"]] == ["hard_bounce"]
    assert export["preferences"] == []
    # The export itself is a read of her data, and is listed.
    assert [(row["actor"], row["action"]) for row in export["access_log"]] == [(staff.username, "export")]
    # Every concrete field of a row is exported: the layout follows the models.
    assert set(view) == {field.attname for field in ViewSession._meta.concrete_fields}


def test_an_unknown_user_is_404(service_client):
    response = service_client.get("/internal/v1/privacy/users/nobody/export")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def database_mentions(needles: list[str]) -> list[tuple[str, str, str]]:
    """Return (table, column, needle) for every text-castable column of every table holding a needle."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                for needle in needles:
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {quote(table)} WHERE LOWER(CAST({quote(column.name)} AS TEXT)) LIKE %s",  # noqa: S608 - names from introspection
                        [f"%{needle.lower()}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append((table, column.name, needle))
    return found


def redis_values(redis, key: bytes) -> list[bytes]:
    """Return what a key holds, whatever its type."""
    kind = redis.type(key).decode()
    if kind == "string":
        return [redis.get(key)]
    if kind == "list":
        return redis.lrange(key, 0, -1)
    if kind == "set":
        return list(redis.smembers(key))
    if kind == "zset":
        return redis.zrange(key, 0, -1)
    if kind == "hash":
        return [item for pair in redis.hgetall(key).items() for item in pair]
    if kind == "stream":
        return [item for _, fields in redis.xrange(key) for pair in fields.items() for item in pair]
    raise AssertionError(f"a key of type {kind} is not searched: {key!r}")


def redis_mentions(needles: list[str]) -> list[tuple[str, bytes]]:
    """Return (alias, key) for every key of the hot and state Redis whose name or value holds a needle."""
    found = []
    for alias in ("hot", "state"):
        redis = client(alias)
        for key in redis.scan_iter(count=1000):
            text = b" ".join([key, *[part for part in redis_values(redis, key) if part]]).lower()
            if any(needle.lower().encode() in text for needle in needles):
                found.append((alias, key))
    return found


def test_after_erasure_no_table_and_no_redis_key_holds_her(zoe, service_client):
    needles = ["zoe-quill", EMAIL, str(STUDENT_ID), "Zoe Quill"]
    assert database_mentions(needles) and redis_mentions(needles)  # the search finds what is there
    # Her display name is held in her profile (and the email greeting her), and nowhere after.
    assert "accounts_user" in {table for table, _, _ in database_mentions(["Zoe Quill"])}

    response = service_client.delete("/internal/v1/privacy/users/zoe-quill")

    assert response.status_code == 200
    erased = response.json()["erased"]
    assert erased["user"] == 1 and erased["enrolments"] == 1 and erased["content_requests"] == 1
    assert erased["view_sessions"] == 1 and erased["notifications"] == 1 and erased["suppressions"] == 1
    # Her API throttle window and her username's failed-login count.
    assert erased["throttles"] == 2 and erased["admin_log"] == 1
    assert erased["login_records"] == 1  # django-axes' record of that failed login, under her username
    # Her API token, counted under its model's label (whichever token model the service uses).
    assert [count for label, count in erased.items() if label.endswith("token")] == [1]
    assert database_mentions(needles) == []
    assert redis_mentions(needles) == []
    assert login_failure_keys() == []
    # Shared content and her teacher's classroom stay; only her enrolment went.
    assert zoe["classroom"].__class__.objects.filter(pk=zoe["classroom"].pk).exists()
    assert not Enrollment.objects.filter(classroom=zoe["classroom"]).exists()
    assert not (ContentRequest.objects.exists() or ViewSession.objects.exists() or Notification.objects.exists())
    # The bounce list still refuses her address, known only by its keyed hash.
    assert Suppression.objects.get().address == hashed_address(EMAIL)
    assert service_client.delete("/internal/v1/privacy/users/zoe-quill").status_code == 404
    # Her token, validated (and remembered) before, stops working at once.
    assert zoe["client"].get("/api/v1/content/requests").status_code == 401


def test_the_erasure_is_logged_without_naming_her(zoe, service_client):
    service_client.get("/internal/v1/privacy/users/zoe-quill/export")
    service_client.delete("/internal/v1/privacy/users/zoe-quill")
    entries = list(AccessLogEntry.objects.order_by("occurred_at", "id"))
    assert [entry.action for entry in entries] == ["export", "erasure"]
    assert {(entry.subject_id, entry.subject_username) for entry in entries} == {(None, "")}
    assert len({entry.subject_digest for entry in entries}) == 1
    assert all(entry.actor_kind == "service" for entry in entries)


def test_erase_user_command_erases_and_prints_the_counts(zoe, capsys):
    call_command("erase_user", "zoe-quill")
    erased = json.loads(capsys.readouterr().out)["erased"]
    assert erased["user"] == 1 and erased["view_sessions"] == 1
    assert not User.objects.filter(username="zoe-quill").exists()
    assert AccessLogEntry.objects.get().actor_kind == "operator"


def test_erasing_a_teacher_removes_their_classrooms_and_their_name_from_the_log(zoe, as_user):
    teacher = zoe["teacher"]
    staff = StaffFactory()
    # Teacher reads are logged under the teacher's name; erasing the teacher blanks it.
    from vividly.privacy.access_log import access_log_flush, access_log_record

    access_log_record(actor=teacher, subject=zoe["student"], action="progress")
    access_log_flush()
    response = as_user(staff).delete(f"/internal/v1/privacy/users/{teacher.username}")
    assert response.status_code == 200
    assert response.json()["erased"]["classrooms"] == 1
    assert database_mentions([teacher.username, teacher.email]) == []
    progress = AccessLogEntry.objects.get(action="progress")
    assert progress.subject_username == "zoe-quill" and progress.actor == "(erased user)"


def test_with_the_state_redis_down_nothing_is_erased_and_the_answer_is_503(zoe, service_client, settings):
    # A port nothing listens on: the state Redis (throttles, limits) is unreachable.
    settings.CACHES = {
        **settings.CACHES,
        "state": redis_cache("redis://127.0.0.1:9/0", prefix="vividly:state", timeout=None),
    }
    response = service_client.delete("/internal/v1/privacy/users/zoe-quill")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "erasure_unavailable"
    assert response["Retry-After"]
    assert User.objects.filter(username="zoe-quill").exists() and ViewSession.objects.exists()
    assert not AccessLogEntry.objects.filter(action="erasure").exists()  # an erasure that did not happen


@pytest.mark.usefixtures("webhook_secret")
def test_after_an_open_and_a_click_no_table_holds_the_readers_ip_browser_or_the_link(client):
    link = "https://app.vividly.example/login?invite=q7Zr2wX"
    notification = sent_notification()
    Notification.objects.filter(pk=notification.pk).update(context={"student_name": "Maya", "login_url": link})
    ip, browser = "203.0.113.77", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Quirkfox/9.9"
    reader = {"ip": ip, "useragent": browser}
    events = [
        sg_event(notification, "open", T0, **reader, sg_machine_open=False),
        sg_event(notification, "click", T0 + 5, **reader, url=link, url_offset={"index": 0, "type": "html"}),
    ]
    assert post(client, events).status_code == 200
    assert ProviderEvent.objects.filter(notification=notification).count() == 2
    assert database_mentions([ip, browser, link]) == []


def test_admin_pages_about_a_student_are_logged_for_each_person_they_show(client):
    from django.urls import reverse

    staff, student = StaffFactory(), StudentFactory(email="lea@example.edu")
    client.force_login(staff)
    content = stored_content()
    request = requested(student, content)
    view = ViewSessionFactory(user=student, cache_key=content["cache_key"])
    notification = send(to="LEA@example.edu")
    pages = [
        ("admin:delivery_app_contentrequest_change", request.pk, "admin:contentrequest"),
        ("admin:delivery_app_viewsession_change", view.pk, "admin:viewsession"),
        ("admin:notifications_app_notification_change", notification.pk, "admin:notification"),
    ]
    for name, pk, _ in pages:
        assert client.get(reverse(name, args=[pk])).status_code == 200
    logged = list(AccessLogEntry.objects.order_by("id").values_list("actor", "subject_username", "action"))
    assert logged == [(staff.username, student.username, action) for _, _, action in pages]
    # Their own list pages name many people and are not reads of one person's data.
    client.get(reverse("admin:delivery_app_viewsession_changelist"))
    assert AccessLogEntry.objects.count() == len(pages)
