"""Requests, signed URLs, tracking and analytics through the API, as students and teachers."""

import re
import uuid
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from delivery_app.generation import generation_failed_signal
from delivery_app.models import ContentRequest, RequestStatus, ViewSession
from delivery_app.tests.factories import (
    VIDEO_BYTES,
    ViewSessionFactory,
    requested,
    stored_content,
    unstored_content,
)
from vividly.accounts.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
DESKTOP_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    return error


def url_of(api, key: str, **params: str):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return api.get(f"/api/v1/content/{key}/url" + (f"?{query}" if query else ""))


def test_request_ready_when_cached_and_idempotent(as_user, school):
    content = stored_content()
    api = as_user(school["student_a"])
    body = {k: content[k] for k in ("topic_id", "interest", "style")}
    first = api.post("/api/v1/content/requests", body, format="json")
    assert first.status_code == 201
    assert first.json()["status"] == "ready" and first.json()["cache_key"] == content["cache_key"]
    again = api.post("/api/v1/content/requests", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert ContentRequest.objects.count() == 1


def test_request_pending_when_not_cached(as_user, school):
    response = as_user(school["student_a"]).post(
        "/api/v1/content/requests", {"topic_id": "new", "interest": "chess", "style": "visual"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert set(response.json()) >= {"id", "cache_key", "status", "created_at"}


@pytest.mark.parametrize(
    "body", [{}, {"topic_id": "a|b", "interest": "x", "style": "y"}, {"topic_id": "", "interest": "x", "style": "y"}]
)
def test_request_validation(as_user, school, body):
    response = as_user(school["student_a"]).post("/api/v1/content/requests", body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_only_students_create_requests(as_user, school):
    body = {"topic_id": "t", "interest": "i", "style": "s"}
    assert as_user(school["teacher_a"]).post("/api/v1/content/requests", body, format="json").status_code == 403


def test_listing_students_see_their_own_teachers_their_students(as_user, school):
    a, b = stored_content(), stored_content()
    requested(school["student_a"], a)
    requested(school["student_b"], b)
    results = lambda user: as_user(user).get("/api/v1/content/requests").json()["results"]  # noqa: E731
    assert [r["cache_key"] for r in results(school["student_a"])] == [a["cache_key"]]
    assert [r["cache_key"] for r in results(school["teacher_a"])] == [a["cache_key"]]
    assert [r["student"] for r in results(school["teacher_b"])] == [school["student_b"].username]
    assert len(results(school["staff"])) == 2
    page = as_user(school["staff"]).get("/api/v1/content/requests?limit=1").json()
    assert page["count"] == 2 and len(page["results"]) == 1 and page["next"]


def test_signed_url_downloads_the_asset(as_user, school, client):
    content = stored_content()
    requested(school["student_a"], content)
    response = url_of(as_user(school["student_a"]), content["cache_key"])
    assert response.status_code == 200
    body = response.json()
    assert (body["type"], body["quality"], body["expires_in"]) == ("video", "720p", 900)
    assert body["url"].startswith("http://localhost:8000/files/")
    parts = urlsplit(body["url"])
    download = client.get(f"{parts.path}?{parts.query}")
    assert b"".join(download.streaming_content) == VIDEO_BYTES
    ranged = client.get(f"{parts.path}?{parts.query}", HTTP_RANGE="bytes=0-3")
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content) == VIDEO_BYTES[:4]


def test_other_assets_and_their_errors(as_user, school):
    content = stored_content(qualities=("720p",))
    requested(school["student_a"], content)
    api = as_user(school["student_a"])
    audio = url_of(api, content["cache_key"], type="audio").json()
    assert audio["type"] == "audio" and audio["quality"] is None and "type=audio%2Fmpeg" in audio["url"]
    missing = url_of(api, content["cache_key"], quality="4K")
    assert missing.status_code == 404
    assert missing.json()["error"]["details"]["available"] == [
        {"type": "video", "quality": "720p"},
        {"type": "audio", "quality": None},
    ]
    assert url_of(api, content["cache_key"], type="script").status_code == 404
    assert url_of(api, content["cache_key"], type="poster").status_code == 400
    assert url_of(api, content["cache_key"], quality="8K").status_code == 400
    assert url_of(api, content["cache_key"], quality="").status_code == 400  # as the schema says


def test_urls_of_content_a_caller_may_not_see_are_404(as_user, school):
    content = stored_content()
    requested(school["student_a"], content)
    assert url_of(as_user(school["student_b"]), content["cache_key"]).status_code == 404
    assert url_of(as_user(school["teacher_b"]), content["cache_key"]).status_code == 404
    assert url_of(as_user(school["teacher_a"]), content["cache_key"]).status_code == 200
    assert url_of(as_user(school["staff"]), content["cache_key"]).status_code == 200
    assert url_of(as_user(school["staff"]), "f" * 64).status_code == 404
    assert url_of(as_user(school["staff"]), "not-a-key").status_code == 404


def test_batch_in_order_with_per_item_errors(as_user, school):
    mine, theirs = stored_content(), stored_content()
    requested(school["student_a"], mine)
    requested(school["student_b"], theirs)
    items = [
        {"cache_key": mine["cache_key"], "type": "video", "quality": "1080p"},
        {"cache_key": theirs["cache_key"]},
        {"cache_key": mine["cache_key"], "type": "audio"},
        {"cache_key": mine["cache_key"], "quality": "4K"},
        {"cache_key": mine["cache_key"], "type": "hologram"},
    ]
    response = as_user(school["student_a"]).post("/api/v1/content/urls/batch", {"items": items}, format="json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r.get("error", {}).get("code") for r in results] == [
        None,
        "not_found",
        None,
        "not_found",
        "validation_error",
    ]
    assert results[0]["quality"] == "1080p" and results[2]["type"] == "audio"
    assert all(r["cache_key"] == item["cache_key"] for r, item in zip(results, items, strict=True))


def test_batch_limits(as_user, school):
    api = as_user(school["student_a"])
    too_many = {"items": [{"cache_key": "a" * 64}] * 101}
    assert api.post("/api/v1/content/urls/batch", too_many, format="json").status_code == 400
    assert api.post("/api/v1/content/urls/batch", {"items": []}, format="json").status_code == 400
    assert api.post("/api/v1/content/urls/batch", {"items": ["x"]}, format="json").status_code == 400
    assert api.post("/api/v1/content/urls/batch", [1], format="json").status_code == 400


def test_batch_access_check_is_a_constant_number_of_queries(as_user, school):
    contents = [stored_content() for _ in range(12)]
    for content in contents:
        requested(school["student_a"], content)
    api = as_user(school["teacher_a"])
    api.post("/api/v1/content/urls/batch", {"items": [{"cache_key": contents[0]["cache_key"]}]}, format="json")

    def queries_for(count: int) -> int:
        items = [{"cache_key": c["cache_key"]} for c in contents[:count]]
        with CaptureQueriesContext(connection) as captured:
            response = api.post("/api/v1/content/urls/batch", {"items": items}, format="json")
        assert all("url" in r for r in response.json()["results"])
        return len(captured)

    assert queries_for(2) == queries_for(12) <= 3


def test_view_progress_complete_flow(as_user, school):
    content = stored_content()
    requested(school["student_a"], content)
    api = as_user(school["student_a"])
    key = content["cache_key"]
    started = api.post(f"/api/v1/content/{key}/view", {"quality": "1080p"}, format="json", HTTP_USER_AGENT=IPHONE)
    assert started.status_code == 201
    view_id = started.json()["view_id"]
    view = ViewSession.objects.get(pk=view_id)
    assert (view.device_type, view.browser, view.os, view.quality) == ("mobile", "Mobile Safari", "iOS", "1080p")
    progress = api.post(f"/api/v1/content/{key}/progress", {"view_id": view_id, "position_seconds": 60}, format="json")
    assert progress.status_code == 200
    state = progress.json()
    assert state["position_seconds"] == 60 and state["completed"] is False
    assert state["watched_seconds"] < 5  # a minute of video cannot be watched in a few milliseconds
    done = api.post(f"/api/v1/content/{key}/complete", {"view_id": view_id}, format="json")
    assert done.status_code == 200 and done.json()["completed"] is True


def test_progress_validation_and_ownership(as_user, school):
    content, other = stored_content(), stored_content()
    requested(school["student_a"], content)
    requested(school["student_a"], other)
    key = content["cache_key"]
    api = as_user(school["student_a"])
    view_id = api.post(f"/api/v1/content/{key}/view", {}, format="json").json()["view_id"]
    post = lambda api, key, body: api.post(f"/api/v1/content/{key}/progress", body, format="json")  # noqa: E731
    for position in (-1, 120.5, "ten", True, None):
        response = post(api, key, {"view_id": view_id, "position_seconds": position})
        assert response.status_code == 400, position
    assert post(api, key, {"view_id": view_id, "position_seconds": 120}).status_code == 200
    assert post(api, key, {"view_id": "not-a-uuid", "position_seconds": 1}).status_code == 400
    assert post(api, other["cache_key"], {"view_id": view_id, "position_seconds": 1}).status_code == 404
    intruder = as_user(school["student_b"])
    assert post(intruder, key, {"view_id": view_id, "position_seconds": 1}).status_code == 404
    complete = intruder.post(f"/api/v1/content/{key}/complete", {"view_id": view_id}, format="json")
    assert complete.status_code == 404


def test_analytics_on_a_known_set_of_sessions(as_user, school):
    content = stored_content()
    key = content["cache_key"]
    extra_student = StudentFactory()
    school["teacher_a"].classrooms.first().students.add(extra_student)
    for student in (school["student_a"], extra_student, school["student_b"]):
        requested(student, content)
    a, x, b = school["student_a"], extra_student, school["student_b"]
    ViewSessionFactory(
        user=a,
        cache_key=key,
        watched_seconds=100,
        furthest_position_seconds=100,
        completed=True,
        completed_at=timezone.now(),
        device_type="mobile",
        browser="Mobile Safari",
        os="iOS",
    )
    ViewSessionFactory(user=a, cache_key=key, watched_seconds=30, furthest_position_seconds=35)
    ViewSessionFactory(
        user=x,
        cache_key=key,
        watched_seconds=50,
        furthest_position_seconds=55,
        device_type="tablet",
        browser="Chrome",
        os="Android",
    )
    ViewSessionFactory(user=b, cache_key=key, watched_seconds=10, furthest_position_seconds=10)
    teacher_view = as_user(school["teacher_a"]).get(f"/api/v1/content/{key}/analytics").json()
    assert teacher_view["views"] == 3 and teacher_view["unique_viewers"] == 2
    assert teacher_view["avg_watch_seconds"] == pytest.approx(60)
    assert teacher_view["completion_rate"] == pytest.approx(1 / 3)
    assert teacher_view["devices"] == {"desktop": 1, "mobile": 1, "tablet": 1}
    assert teacher_view["browsers"] == {"Chrome": 2, "Mobile Safari": 1}
    assert [point["share"] for point in teacher_view["dropoff"]] == pytest.approx(
        [1, 1, 1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3]
    )
    staff_view = as_user(school["staff"]).get(f"/api/v1/content/{key}/analytics").json()
    assert staff_view["views"] == 4 and staff_view["unique_viewers"] == 3
    assert as_user(school["teacher_b"]).get(f"/api/v1/content/{key}/analytics").json()["views"] == 1
    assert as_user(school["student_a"]).get(f"/api/v1/content/{key}/analytics").status_code == 403


def test_analytics_of_invisible_content_is_404(as_user, school):
    content = stored_content()
    requested(school["student_a"], content)
    assert as_user(school["teacher_b"]).get(f"/api/v1/content/{content['cache_key']}/analytics").status_code == 404
    assert as_user(school["staff"]).get(f"/api/v1/content/{'e' * 64}/analytics").status_code == 404
    empty = as_user(school["teacher_a"]).get(f"/api/v1/content/{content['cache_key']}/analytics").json()
    assert empty["views"] == 0 and empty["completion_rate"] == 0.0


def test_remembered_urls_are_forgotten_when_content_is_stored_again_or_invalidated(
    as_user, school, service_client, django_capture_on_commit_callbacks
):
    content = stored_content()
    requested(school["student_a"], content)
    api = as_user(school["student_a"])
    first = url_of(api, content["cache_key"]).json()["url"]
    assert url_of(api, content["cache_key"]).json()["url"] == first  # remembered
    triple = {k: content[k] for k in ("topic_id", "interest", "style")}
    moved = {"title": "Recut", "duration_seconds": 120, "assets": {"video": {"720p": "recut/720p.mp4"}}}
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            service_client.post("/internal/v1/cache/store", {**triple, "metadata": moved}, format="json").status_code
            == 201
        )
    assert "/files/recut/720p.mp4?" in url_of(api, content["cache_key"]).json()["url"]
    with django_capture_on_commit_callbacks(execute=True):
        service_client.delete("/internal/v1/cache/invalidate", {"cache_key": content["cache_key"]}, format="json")
    assert url_of(api, content["cache_key"]).status_code == 404


def test_an_unenrolment_withdraws_a_teachers_access_at_once(as_user, school):
    content = stored_content()
    requested(school["student_a"], content)
    teacher = as_user(school["teacher_a"])
    assert url_of(teacher, content["cache_key"]).status_code == 200
    assert url_of(teacher, content["cache_key"]).status_code == 200  # now remembered
    school["teacher_a"].classrooms.first().enrollments.all().delete()
    assert url_of(teacher, content["cache_key"]).status_code == 404


def test_analytics_verified_completion_rate_needs_watching_or_reaching_90_percent(as_user, school):
    content = stored_content()
    key = content["cache_key"]
    requested(school["student_a"], content)
    sessions = [
        {"completed": True, "completed_at": timezone.now(), "watched_seconds": 5, "furthest_position_seconds": 5},
        {"watched_seconds": 90, "furthest_position_seconds": 60},  # watched 90 %, never marked complete
        {"watched_seconds": 10, "furthest_position_seconds": 92},  # reached 92 % (seeking counts as reaching)
        {"watched_seconds": 89, "furthest_position_seconds": 89},
    ]
    for fields in sessions:
        ViewSessionFactory(user=school["student_a"], cache_key=key, duration_seconds=100, **fields)
    numbers = as_user(school["teacher_a"]).get(f"/api/v1/content/{key}/analytics").json()
    assert numbers["completion_rate"] == pytest.approx(1 / 4)
    assert numbers["verified_completion_rate"] == pytest.approx(2 / 4)


def test_a_student_cancels_their_own_pending_request(as_user, school):
    pending = requested(school["student_a"], unstored_content(), status=RequestStatus.PENDING)
    path = f"/api/v1/content/requests/{pending.pk}"
    for someone_else in ("student_b", "teacher_a"):
        assert_error(as_user(school[someone_else]).delete(path), 404, "not_found")
    assert_error(as_user(school["student_a"]).delete(f"/api/v1/content/requests/{uuid.uuid4()}"), 404, "not_found")
    api = as_user(school["student_a"])
    cancelled = api.delete(path)
    assert cancelled.status_code == 200
    assert cancelled.json()["id"] == str(pending.pk) and cancelled.json()["status"] == "cancelled"
    again = api.delete(path)
    assert again.status_code == 200 and again.json() == cancelled.json()
    listed = api.get("/api/v1/content/requests").json()["results"]
    assert [(r["id"], r["status"]) for r in listed] == [(str(pending.pk), "cancelled")]


def test_a_request_that_is_not_pending_cannot_be_cancelled(as_user, school):
    ready = requested(school["student_a"], stored_content())
    response = as_user(school["student_a"]).delete(f"/api/v1/content/requests/{ready.pk}")
    assert assert_error(response, 409, "request_not_pending")["details"] == {"status": "ready"}
    assert ContentRequest.objects.get(pk=ready.pk).status == RequestStatus.READY


def test_failed_requests_show_their_error_code_in_the_list(as_user, school):
    content = unstored_content()
    requested(school["student_a"], content, status=RequestStatus.PENDING)
    generation_failed_signal().send(sender=None, cache_key=content["cache_key"], error_code="unsafe_topic")
    for viewer in ("student_a", "teacher_a"):
        [row] = as_user(school[viewer]).get("/api/v1/content/requests").json()["results"]
        assert (row["status"], row["error_code"]) == ("failed", "unsafe_topic")


def test_a_student_has_at_most_50_pending_requests(as_user, school):
    api = as_user(school["student_a"])
    ask = lambda content: api.post(  # noqa: E731
        "/api/v1/content/requests", {k: content[k] for k in ("topic_id", "interest", "style")}, format="json"
    )
    for _ in range(50):
        assert ask(unstored_content()).status_code == 201
    refused = ask(unstored_content())
    assert_error(refused, 429, "too_many_pending_requests")
    assert int(refused["Retry-After"]) > 0
    assert ContentRequest.objects.filter(user=school["student_a"]).count() == 50
    assert ask(stored_content()).json()["status"] == "ready"  # cached content waits for nothing


def test_open_views_of_one_content_are_bounded(as_user, school, settings):
    settings.MAX_OPEN_VIEWS_PER_USER_AND_KEY = 2
    content = stored_content()
    requested(school["student_a"], content)
    api = as_user(school["student_a"])
    start = lambda: api.post(f"/api/v1/content/{content['cache_key']}/view", {}, format="json")  # noqa: E731
    assert [start().status_code, start().status_code] == [201, 201]
    refused = start()
    assert_error(refused, 429, "too_many_open_views")
    assert 0 < int(refused["Retry-After"]) <= 3600


def test_urls_and_views_of_content_still_pending_are_404(as_user, school):
    content = unstored_content()
    requested(school["student_a"], content, status=RequestStatus.PENDING)
    api = as_user(school["student_a"])
    assert_error(url_of(api, content["cache_key"]), 404, "not_found")
    assert_error(api.post(f"/api/v1/content/{content['cache_key']}/view", {}, format="json"), 404, "not_found")


def test_the_schema_lists_the_asset_types_and_qualities_a_url_accepts(client):
    """Issue 17: `?type=` and `?quality=` were documented as any string, and most were a 400."""
    operation = client.get("/api/schema/?format=json").json()["paths"]["/api/v1/content/{cache_key}/url"]["get"]
    enums = {parameter["name"]: parameter["schema"].get("enum") for parameter in operation["parameters"]}
    assert enums["type"] == ["", "video", "audio", "script"]
    assert enums["quality"] == ["720p", "1080p", "4K"]


def test_view_start_with_a_null_quality_is_the_default_as_documented(as_user, school, client):
    """Issue 17's example: `{"quality": null}`; the schema documents it (nullable) and it means 720p."""
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]["ViewStartRequest"]
    assert schema["properties"]["quality"]["nullable"] is True
    content = stored_content()
    requested(school["student_a"], content)
    api = as_user(school["student_a"])
    started = api.post(f"/api/v1/content/{content['cache_key']}/view", {"quality": None}, format="json")
    assert started.status_code == 201, started.content
    assert ViewSession.objects.get(pk=started.json()["view_id"]).quality == "720p"
    refused = api.post(f"/api/v1/content/{content['cache_key']}/view", {"quality": "8K"}, format="json")
    assert refused.status_code == 400


def test_a_request_for_a_triple_the_cache_cannot_key_is_refused_as_the_schema_says(as_user, school, client):
    """Issue 17: the schema let '|' (the key separator) through; the cache's key rule refuses it."""
    schema = client.get("/api/schema/?format=json").json()["components"]["schemas"]["RequestCreateRequest"]
    pattern = schema["properties"]["interest"]["pattern"]
    assert re.match(pattern, "music") and not re.match(pattern, "music|art")
    api = as_user(school["student_a"])
    body = {"topic_id": "t", "interest": "music|art", "style": "s"}
    error = assert_error(api.post("/api/v1/content/requests", body, format="json"), 400, "validation_error")
    assert error["details"]["interest"] == ["Must not contain '|', the key separator."]
    assert not ContentRequest.objects.exists()
