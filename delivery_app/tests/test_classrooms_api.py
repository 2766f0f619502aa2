"""/api/v1/classrooms through the API: the list, a class's progress as JSON and as CSV, the access log."""

import csv
import io

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery_app.models import RequestStatus
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content
from vividly.accounts.tests.factories import ClassroomFactory, StudentFactory
from vividly.privacy.access_log import access_log_flush
from vividly.privacy.models import AccessLogEntry

pytestmark = pytest.mark.django_db

COLUMNS = ["id", "username", "status", "watched_seconds", "furthest_position_seconds", "last_viewed_at"]


def progress_path(classroom, cache_key: str, **query: str) -> str:
    extra = "".join(f"&{name}={value}" for name, value in query.items())
    return f"/api/v1/classrooms/{classroom.pk}/progress?cache_key={cache_key}{extra}"


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == code


def test_classrooms_list_is_paged_like_the_requests_list(as_user, school):
    teacher = school["teacher_a"]
    for name in ("Year 9 maths", "Art"):
        ClassroomFactory(teacher=teacher, name=name, students=[StudentFactory(), StudentFactory()])
    first = as_user(teacher).get("/api/v1/classrooms?limit=2").json()
    assert first["count"] == 3 and first["previous"] is None and "offset=2" in first["next"]
    assert [row["name"] for row in first["results"]] == ["Art", teacher.classrooms.order_by("name")[1].name]
    assert first["results"][0] == {
        "id": teacher.classrooms.get(name="Art").pk,
        "name": "Art",
        "teacher": teacher.username,
        "students": 2,
    }
    rest = as_user(teacher).get(first["next"]).json()
    assert [row["name"] for row in rest["results"]] == ["Year 9 maths"]
    assert as_user(school["staff"]).get("/api/v1/classrooms").json()["count"] == 4
    assert_error(as_user(school["teacher_a"]).get("/api/v1/classrooms?limit=x"), 400, "validation_error")
    assert_error(as_user(school["student_a"]).get("/api/v1/classrooms"), 403, "permission_denied")


@pytest.fixture
def progress(school):
    """Teacher A's class: one student who completed the video, one waiting for it, one who never asked."""
    content = stored_content()
    classroom = school["teacher_a"].classrooms.get()
    waiting, absent = StudentFactory(username="zoë"), StudentFactory(username='=HYPERLINK("http://x")')
    classroom.students.add(waiting, absent)
    requested(school["student_a"], content)
    requested(waiting, content, status=RequestStatus.PENDING)
    viewed_at = timezone.now()
    ViewSessionFactory(
        user=school["student_a"],
        cache_key=content["cache_key"],
        watched_seconds=99.12345,
        furthest_position_seconds=100,
        completed=True,
        completed_at=viewed_at,
        last_event_at=viewed_at,
    )
    return {"classroom": classroom, "key": content["cache_key"], "viewed_at": viewed_at, **school}


def test_a_teacher_reads_her_class_progress(as_user, progress):
    classroom, key = progress["classroom"], progress["key"]
    response = as_user(progress["teacher_a"]).get(progress_path(classroom, key))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["classroom"] == classroom.pk and body["cache_key"] == key
    student_a = progress["student_a"]
    assert {row["username"]: row["status"] for row in body["students"]} == {
        student_a.username: "completed",
        "zoë": "pending",
        '=HYPERLINK("http://x")': "not_requested",
    }
    done = next(row for row in body["students"] if row["id"] == student_a.pk)
    assert done == {
        "id": student_a.pk,
        "username": student_a.username,
        "status": "completed",
        "watched_seconds": 99.123,
        "furthest_position_seconds": 100.0,
        "last_viewed_at": progress["viewed_at"].isoformat().replace("+00:00", "Z"),
    }
    assert as_user(progress["staff"]).get(progress_path(classroom, key)).json() == body


def test_another_teachers_classroom_is_a_404_like_a_missing_one(as_user, progress):
    teacher_b = as_user(progress["teacher_b"])
    other = teacher_b.get(progress_path(progress["classroom"], progress["key"]))
    missing = teacher_b.get(f"/api/v1/classrooms/{10**6}/progress?cache_key={progress['key']}")
    assert_error(other, 404, "not_found")
    assert other.json()["error"] == missing.json()["error"]  # request ids differ
    assert_error(teacher_b.get(f"/api/v1/classrooms/{10**30}/progress?cache_key={'a' * 64}"), 404, "not_found")
    assert_error(
        as_user(progress["student_a"]).get(progress_path(progress["classroom"], progress["key"])),
        403,
        "permission_denied",
    )


@pytest.mark.parametrize("query", ["", "?cache_key=", "?cache_key=NOT-A-KEY", f"?cache_key={'A' * 64}"])
def test_the_video_must_be_named_by_its_key(as_user, progress, query):
    response = as_user(progress["teacher_a"]).get(f"/api/v1/classrooms/{progress['classroom'].pk}/progress{query}")
    assert_error(response, 400, "validation_error")
    assert "cache_key" in response.json()["error"]["details"]


def csv_rows(response) -> list[list[str]]:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    assert raw.startswith("\ufeff".encode())  # a byte order mark: spreadsheets read the file as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("ask", [{"format": "csv"}, {"HTTP_ACCEPT": "text/csv"}])
def test_the_same_rows_as_csv_with_a_header_line(as_user, progress, ask):
    teacher = as_user(progress["teacher_a"])
    query = {"format": "csv"} if "format" in ask else {}
    response = teacher.get(
        progress_path(progress["classroom"], progress["key"], **query),
        **{name: value for name, value in ask.items() if name != "format"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    name = progress["classroom"].name.lower().replace(" ", "-")
    assert response["Content-Disposition"] == f'attachment; filename="progress-{name}-{progress["key"][:12]}.csv"'
    assert "Accept" in response["Vary"]
    header, *rows = csv_rows(response)
    assert header == COLUMNS
    body = teacher.get(progress_path(progress["classroom"], progress["key"])).json()
    # Every cell as the JSON has it; the username a spreadsheet would run as a formula is quoted.
    expected = [[str(row[column]) if row[column] is not None else "" for column in COLUMNS] for row in body["students"]]
    for row in expected:
        if row[1].startswith("="):
            row[1] = "'" + row[1]
    assert rows == expected
    others = sorted(row[1] for row in rows if row[1] != progress["student_a"].username)
    assert others == ['\'=HYPERLINK("http://x")', "zoë"]


@pytest.mark.parametrize("username", ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_quoted_as_text(as_user, school, username):
    from delivery_app.api.classrooms import spreadsheet_text

    assert spreadsheet_text(username) == "'" + username
    classroom = school["teacher_a"].classrooms.get()
    student = StudentFactory()
    classroom.students.add(student)
    type(student).objects.filter(pk=student.pk).update(username=username)  # beyond what the validators allow
    response = as_user(school["teacher_a"]).get(progress_path(classroom, "c" * 64, format="csv"))
    assert "'" + username in [row[1] for row in csv_rows(response)[1:]]


def test_plain_text_and_numbers_are_left_as_they_are():
    from delivery_app.api.classrooms import spreadsheet_text

    assert [spreadsheet_text(value) for value in ("zoë", "a=b", "", None, 12.5, 0)] == ["zoë", "a=b", "", "", 12.5, 0]


def test_errors_stay_json_when_csv_is_asked_for(as_user, progress):
    teacher_b = as_user(progress["teacher_b"])
    assert_error(teacher_b.get(progress_path(progress["classroom"], progress["key"], format="csv")), 404, "not_found")
    assert_error(
        teacher_b.get(progress_path(progress["classroom"], progress["key"]), HTTP_ACCEPT="text/csv"), 404, "not_found"
    )
    teacher_a = as_user(progress["teacher_a"])
    missing_key = f"/api/v1/classrooms/{progress['classroom'].pk}/progress?format=csv"
    assert_error(teacher_a.get(missing_key), 400, "validation_error")
    # An unknown ?format= is ignored, as everywhere in the API (vividly.api.negotiation): JSON.
    unknown = teacher_a.get(progress_path(progress["classroom"], progress["key"], format="xml"))
    assert unknown.status_code == 200 and unknown["Content-Type"] == "application/json"
    assert_error(
        teacher_a.get(progress_path(progress["classroom"], progress["key"]), HTTP_ACCEPT="image/png"),
        406,
        "not_acceptable",
    )


@pytest.mark.parametrize("size", [5, 50])
def test_the_progress_request_costs_the_same_queries_for_5_and_50_students(as_user, school, size, settings):
    content = stored_content()
    classroom = ClassroomFactory(
        teacher=school["teacher_a"], name="Big", students=[StudentFactory() for _ in range(size)]
    )
    for index, student in enumerate(classroom.students.all()):
        requested(student, content)
        ViewSessionFactory(user=student, cache_key=content["cache_key"], watched_seconds=index)
    teacher = as_user(school["teacher_a"])
    teacher.get("/api/v1/classrooms")  # the token is known to this process from now on
    with CaptureQueriesContext(connection) as queries:
        response = teacher.get(progress_path(classroom, content["cache_key"]))
    assert response.status_code == 200 and len(response.json()["students"]) == size
    # The classroom, the rows with the students' names (one query), the log's insert after the response.
    assert [query["sql"].split()[0] for query in queries] == ["SELECT", "SELECT", "INSERT"], [
        query["sql"][:120] for query in queries
    ]


def test_a_teachers_read_of_her_class_progress_is_logged_per_student(as_user, progress):
    assert as_user(progress["teacher_a"]).get(progress_path(progress["classroom"], progress["key"])).status_code == 200
    access_log_flush()
    logged = set(AccessLogEntry.objects.values_list("actor", "subject_username", "action"))
    teacher = progress["teacher_a"].username
    assert logged == {
        (teacher, username, "progress")
        for username in progress["classroom"].students.values_list("username", flat=True)
    }
    # A refused read reads nobody's data.
    AccessLogEntry.objects.all().delete()
    as_user(progress["teacher_b"]).get(progress_path(progress["classroom"], progress["key"]))
    access_log_flush()
    assert not AccessLogEntry.objects.exists()


def test_a_refreshed_class_progress_is_logged_again_only_after_the_repeat_window(as_user, progress, monkeypatch):
    """A dashboard refreshed every few seconds writes one entry per student per window, not per refresh."""
    from vividly.privacy import access_log

    now = [1000.0]
    monkeypatch.setattr(access_log, "clock", lambda: now[0])
    teacher, staff = as_user(progress["teacher_a"]), as_user(progress["staff"])
    path = progress_path(progress["classroom"], progress["key"])
    enrolled = progress["classroom"].students.count()

    def logged() -> list[tuple[str, str]]:
        access_log_flush()
        return list(AccessLogEntry.objects.order_by("id").values_list("actor", "action"))

    assert teacher.get(path).status_code == 200
    assert logged() == [(progress["teacher_a"].username, "progress")] * enrolled
    now[0] += 299
    assert teacher.get(path).status_code == 200
    assert teacher.get(progress_path(progress["classroom"], progress["key"], format="csv")).status_code == 200
    assert len(logged()) == enrolled
    # Another reader is another entry at once; the same reader again once the window has passed.
    assert staff.get(path).status_code == 200
    assert len(logged()) == 2 * enrolled
    now[0] += 2
    assert teacher.get(path).status_code == 200
    assert len(logged()) == 3 * enrolled
    # The window is a setting; 0 logs every read.
    with override_settings(ACCESS_LOG_REPEAT_SECONDS=0):
        assert teacher.get(path).status_code == 200
        assert teacher.get(path).status_code == 200
    assert len(logged()) == 5 * enrolled


def test_options_describes_the_endpoint_in_json_even_when_csv_is_asked_for(as_user, progress):
    """Found by the fuzzer's coverage phase: the CSV renderer was handed OPTIONS' description (a 500)."""
    response = as_user(progress["teacher_a"]).options(
        progress_path(progress["classroom"], progress["key"]), HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "text/csv" in response.json()["renders"]


def test_a_classroom_handed_over_or_deleted_is_refused_at_once_though_its_teacher_just_read_it(as_user, school):
    """Granted classrooms are remembered per process; taking one away must end the grant now."""
    content = stored_content()
    teacher, other = school["teacher_a"], school["teacher_b"]
    handed = ClassroomFactory(teacher=teacher, name="Handed over", students=[StudentFactory()])
    empty = ClassroomFactory(teacher=teacher, name="No students yet")
    api = as_user(teacher)
    for classroom in (handed, empty):
        assert api.get(progress_path(classroom, content["cache_key"])).status_code == 200
    handed.teacher = other
    handed.save()
    assert_error(api.get(progress_path(handed, content["cache_key"])), 404, "not_found")
    assert as_user(other).get(progress_path(handed, content["cache_key"])).status_code == 200
    empty.delete()
    assert_error(api.get(progress_path(empty, content["cache_key"])), 404, "not_found")
