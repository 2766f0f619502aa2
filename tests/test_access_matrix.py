"""Who reaches what: every endpoint against every kind of caller (OWASP API1 and API5).

Callers: nobody, student A and B, teacher A (teaches A) and B (teaches B), staff, and a
service token. The expectations are the contract's: /internal/ is for services and
staff (401 without valid credentials, 403 for other users); /api/ is for people (401
for a service token); a student reaches only her own content, a teacher only his
students', staff everything, and what a caller may not see is a 404 indistinguishable
from content that does not exist.
"""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from rest_framework.test import APIClient

from cache_app.tests.factories import store_body
from delivery_app.models import RequestStatus
from delivery_app.tests.factories import VIDEO_BYTES, ViewSessionFactory, requested, stored_content, unstored_content
from devstack.api_clients import client_with
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.accounts.tests.factories import service_token

pytestmark = pytest.mark.django_db

USERS = ("student_a", "student_b", "teacher_a", "teacher_b", "staff")
ROLES = ("anonymous", *USERS, "service")


@pytest.fixture
def world(school, as_user):
    """Content A asked for, content B asked for, A's view session of hers, a notification."""
    mine, theirs = stored_content(), stored_content()
    requests = {"student_a": requested(school["student_a"], mine), "student_b": requested(school["student_b"], theirs)}
    view = ViewSessionFactory(user=school["student_a"], cache_key=mine["cache_key"], duration_seconds=120)
    _, key = service_token()
    clients = {role: as_user(school[role]) for role in USERS}
    clients["anonymous"] = APIClient()
    clients["service"] = client_with(f"Bearer {key}")
    return {
        **school,
        "mine": mine,
        "theirs": theirs,
        "requests": requests,
        "view_id": str(view.pk),
        "notification": send(),
        "clients": clients,
    }


def statuses(world: dict, method: str, path: str, body=None, roles=ROLES) -> dict[str, int]:
    """Return each caller's status for one request."""
    found = {}
    for role in roles:
        response = getattr(world["clients"][role], method)(path, body, format="json")
        if response.status_code >= 400:
            # Whatever the caller, a refusal under /api/ and /internal/ is the contract's JSON error.
            assert set(response.json()["error"]) == {"code", "message", "details"}, (role, path)
        found[role] = response.status_code
    return found


def expect(anonymous: int, students: tuple[int, int], teachers: tuple[int, int], staff: int, service: int) -> dict:
    return {
        "anonymous": anonymous,
        "student_a": students[0],
        "student_b": students[1],
        "teacher_a": teachers[0],
        "teacher_b": teachers[1],
        "staff": staff,
        "service": service,
    }


def internal(ok: int) -> dict:
    """/internal/: 401 without credentials, 403 for people who are not staff."""
    return expect(401, (403, 403), (403, 403), ok, ok)


def triple(content: dict) -> dict:
    return {field: content[field] for field in ("topic_id", "interest", "style")}


def welcome(to: str) -> dict:
    return {"to": to, "template": "welcome_student", "context": TEMPLATES["welcome_student"].sample}


# --- /internal/ -------------------------------------------------------------------------


def test_cache_check(world):
    assert statuses(world, "post", "/internal/v1/cache/check", triple(world["mine"])) == internal(200)


def test_cache_store(world):
    assert statuses(world, "post", "/internal/v1/cache/store", store_body()) == internal(201)


def test_cache_stats_and_reset(world):
    assert statuses(world, "get", "/internal/v1/cache/stats") == internal(200)
    assert statuses(world, "post", "/internal/v1/cache/stats/reset") == internal(204)


def test_cache_invalidate(world):
    body = {"cache_key": world["theirs"]["cache_key"], "dry_run": True}
    assert statuses(world, "delete", "/internal/v1/cache/invalidate", body) == internal(200)


def test_notifications_send_and_batch(world):
    found = {}
    for role in ROLES:  # one address per caller, clear of the per-recipient limit
        body = welcome(f"{role}@example.edu")
        found.update(statuses(world, "post", "/internal/v1/notifications/send", body, roles=[role]))
    assert found == internal(202)
    batch = {"template": "welcome_student", "recipients": [welcome("batch@example.edu")]}
    assert statuses(world, "post", "/internal/v1/notifications/send/batch", batch) == internal(202)


def test_notification_status_is_for_services_and_staff_only(world):
    path = f"/internal/v1/notifications/{world['notification'].pk}/status"
    assert statuses(world, "get", path) == internal(200)
    # The refusal does not depend on whether the id exists.
    unknown = "/internal/v1/notifications/00000000-0000-4000-8000-000000000000/status"
    assert statuses(world, "get", unknown) == internal(404)


# --- /api/ ------------------------------------------------------------------------------


def test_notification_preferences_are_each_users_own(world):
    """Every person reads and changes only their own; nobody else's can even be named."""
    path = "/api/v1/me/notification-preferences"
    assert statuses(world, "get", path) == expect(401, (200, 200), (200, 200), 200, 401)
    body = {"digest": "daily"}
    assert statuses(world, "patch", path, body, roles=["anonymous", "student_a", "service"]) == {
        "anonymous": 401,
        "student_a": 200,
        "service": 401,
    }
    digests = {role: world["clients"][role].get(path).json()["digest"] for role in USERS}
    assert digests == {"student_a": "daily", "student_b": "off", "teacher_a": "off", "teacher_b": "off", "staff": "off"}


def test_requests_list_shows_each_caller_only_what_is_theirs(world):
    assert statuses(world, "get", "/api/v1/content/requests") == expect(401, (200, 200), (200, 200), 200, 401)
    a, b = str(world["requests"]["student_a"].pk), str(world["requests"]["student_b"].pk)
    seen = {
        role: {row["id"] for row in world["clients"][role].get("/api/v1/content/requests").json()["results"]}
        for role in USERS
    }
    assert seen == {"student_a": {a}, "student_b": {b}, "teacher_a": {a}, "teacher_b": {b}, "staff": {a, b}}


def test_only_students_create_requests(world):
    body = triple(stored_content())
    assert statuses(world, "post", "/api/v1/content/requests", body) == expect(401, (201, 201), (403, 403), 403, 401)


def test_only_its_own_student_cancels_a_pending_request(world):
    pending = requested(world["student_a"], unstored_content(), status=RequestStatus.PENDING)
    path = f"/api/v1/content/requests/{pending.pk}"
    # Her teacher and staff see the request but may not cancel it for her: 404, like a missing one.
    assert statuses(world, "delete", path) == expect(401, (200, 404), (404, 404), 404, 401)
    pending.refresh_from_db()
    assert pending.status == RequestStatus.CANCELLED


def test_signed_url(world):
    path = f"/api/v1/content/{world['mine']['cache_key']}/url"
    assert statuses(world, "get", path) == expect(401, (200, 404), (200, 404), 200, 401)


def test_playback(world):
    path = f"/api/v1/content/{world['mine']['cache_key']}/playback"
    assert statuses(world, "get", path) == expect(401, (200, 404), (200, 404), 200, 401)
    hidden = world["clients"]["student_b"].get(path).json()
    missing = world["clients"]["student_b"].get(f"/api/v1/content/{'0' * 64}/playback").json()
    assert hidden["error"] == missing["error"]  # request ids differ


def test_a_hidden_video_looks_exactly_like_a_missing_one(world):
    """No existence oracle: B asking for A's video gets what she gets for a key nobody stored."""
    student_b = world["clients"]["student_b"]
    hidden = student_b.get(f"/api/v1/content/{world['mine']['cache_key']}/url")
    missing = student_b.get(f"/api/v1/content/{'0' * 64}/url")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"] == missing.json()["error"]  # request ids differ
    for action in ("view", "progress", "complete"):
        body = {"view_id": world["view_id"], "position_seconds": 1}
        hidden = student_b.post(f"/api/v1/content/{world['mine']['cache_key']}/{action}", body, format="json")
        missing = student_b.post(f"/api/v1/content/{'0' * 64}/{action}", body, format="json")
        assert hidden.status_code == missing.status_code == 404, action
        assert hidden.json()["error"] == missing.json()["error"], action  # request ids differ


def test_batch_urls_answer_per_item_by_visibility(world):
    items = [{"cache_key": world["mine"]["cache_key"]}, {"cache_key": world["theirs"]["cache_key"]}]
    assert statuses(world, "post", "/api/v1/content/urls/batch", {"items": items}) == expect(
        401, (200, 200), (200, 200), 200, 401
    )
    reached = {
        role: [
            "url" in result
            for result in world["clients"][role]
            .post("/api/v1/content/urls/batch", {"items": items}, format="json")
            .json()["results"]
        ]
        for role in USERS
    }
    assert reached == {
        "student_a": [True, False],
        "student_b": [False, True],
        "teacher_a": [True, False],
        "teacher_b": [False, True],
        "staff": [True, True],
    }


def test_view_start(world):
    path = f"/api/v1/content/{world['mine']['cache_key']}/view"
    assert statuses(world, "post", path, {}) == expect(401, (201, 404), (201, 404), 201, 401)


@pytest.mark.parametrize("action", ["progress", "complete"])
def test_a_view_session_is_its_owners_alone(world, action):
    """Anyone else's view_id is a 404, staff and the owner's teacher included."""
    path = f"/api/v1/content/{world['mine']['cache_key']}/{action}"
    body = {"view_id": world["view_id"], "position_seconds": 10}
    assert statuses(world, "post", path, body) == expect(401, (200, 404), (404, 404), 404, 401)


def test_a_view_id_does_not_travel_to_other_content(world):
    """B cannot write A's view through content B may see."""
    student_b = world["clients"]["student_b"]
    body = {"view_id": world["view_id"], "position_seconds": 10}
    for action in ("progress", "complete"):
        response = student_b.post(f"/api/v1/content/{world['theirs']['cache_key']}/{action}", body, format="json")
        assert response.status_code == 404, action
    state = world["clients"]["student_a"].post(
        f"/api/v1/content/{world['mine']['cache_key']}/progress", {**body, "position_seconds": 0}, format="json"
    )
    assert state.json()["completed"] is False and state.json()["watched_seconds"] == 0


def test_analytics(world):
    mine = f"/api/v1/content/{world['mine']['cache_key']}/analytics"
    theirs = f"/api/v1/content/{world['theirs']['cache_key']}/analytics"
    assert statuses(world, "get", mine) == expect(401, (403, 403), (200, 404), 200, 401)
    assert statuses(world, "get", theirs) == expect(401, (403, 403), (404, 200), 200, 401)


def test_classrooms_list(world):
    assert statuses(world, "get", "/api/v1/classrooms") == expect(401, (403, 403), (200, 200), 200, 401)
    seen = {
        role: {row["id"] for row in world["clients"][role].get("/api/v1/classrooms").json()["results"]}
        for role in ("teacher_a", "teacher_b", "staff")
    }
    a, b = world["teacher_a"].classrooms.get().pk, world["teacher_b"].classrooms.get().pk
    assert seen == {"teacher_a": {a}, "teacher_b": {b}, "staff": {a, b}}


@pytest.mark.parametrize(
    ("path", "teachers_of_a", "teachers_of_b"),
    [
        ("/api/v1/classrooms/{classroom}/progress?cache_key={key}", (200, 404), (404, 200)),
        ("/api/v1/classrooms/{classroom}/progress?cache_key={key}&format=csv", (200, 404), (404, 200)),
        # Student A's video: teacher B may not see it at all, and teacher A not B's classroom.
        ("/api/v1/content/{key}/analytics?classroom={classroom}&from=2026-01-01&to=2026-12-31", (200, 404), (404, 404)),
    ],
)
def test_a_classrooms_reads_are_for_its_teacher_and_staff(world, path, teachers_of_a, teachers_of_b):
    for owner, teachers in (("teacher_a", teachers_of_a), ("teacher_b", teachers_of_b)):
        concrete = path.format(classroom=world[owner].classrooms.get().pk, key=world["mine"]["cache_key"])
        assert statuses(world, "get", concrete) == expect(401, (403, 403), teachers, 200, 401), concrete


# --- everything else ----------------------------------------------------------------------


def test_signed_files_answer_to_the_signature_not_to_credentials(world):
    """/files/ has no token auth: the signature is the credential, for any caller alike."""
    url = world["clients"]["student_a"].get(f"/api/v1/content/{world['mine']['cache_key']}/url").json()["url"]
    signed = urlsplit(url)
    for role in ROLES:
        client = world["clients"][role]
        response = client.get(f"{signed.path}?{signed.query}")
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content) == VIDEO_BYTES
        assert client.get(signed.path).status_code == 403, role


ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/cache_app/cacheentry/",
    "/admin/cache_app/cacheentry/statistics/",
    "/admin/delivery_app/contentrequest/",
    "/admin/delivery_app/viewsession/",
    "/admin/notifications_app/notification/",
    "/admin/notifications_app/notification/preview/?template=welcome_student",
    "/admin/rq/",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_are_for_staff_sessions_only(world, page):
    for role in ROLES:
        # API credentials never open the admin: it signs in with a session.
        response = world["clients"][role].get(page)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], (role, page)
    for role in USERS:
        session = Client()
        session.force_login(world[role])
        response = session.get(page)
        if role == "staff":
            assert response.status_code == 200, page
        else:
            assert response.status_code == 302 and "/admin/login/" in response["Location"], (role, page)


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/healthz", "/readyz"])
def test_public_pages_answer_everyone(world, path):
    assert {role: world["clients"][role].get(path).status_code for role in ROLES} == dict.fromkeys(ROLES, 200)


# --- service token scopes on /internal/ ---------------------------------------------------
#
# The scope each internal endpoint needs, written by hand: the test compares it with the
# view's own `required_scope`, so a view that forgets (or changes) its scope fails here, and
# an internal route missing from this table fails too.

SCOPES = {
    ("post", "internal/v1/cache/check"): "cache:read",
    ("get", "internal/v1/cache/stats"): "cache:read",
    ("post", "internal/v1/cache/store"): "cache:write",
    ("post", "internal/v1/cache/stats/reset"): "cache:write",
    ("delete", "internal/v1/cache/invalidate"): "cache:write",
    ("post", "internal/v1/notifications/send"): "notify:send",
    ("post", "internal/v1/notifications/send/batch"): "notify:send",
    ("get", "internal/v1/notifications/{}/status"): "notify:read",
    ("post", "internal/v1/generation/claim"): "generation",
    ("post", "internal/v1/generation/{}/heartbeat"): "generation",
    ("post", "internal/v1/generation/{}/uploads"): "generation",
    ("post", "internal/v1/generation/{}/complete"): "generation",
    ("post", "internal/v1/generation/{}/fail"): "generation",
    ("get", "internal/v1/generation/jobs"): "generation",
    ("get", "internal/v1/generation/jobs/{}"): "generation",
    ("get", "internal/v1/privacy/users/{}/export"): "privacy",
    ("delete", "internal/v1/privacy/users/{}"): "privacy",
    ("get", "internal/v1/privacy/access-log"): "privacy",
}
PATH_VALUES = ("00000000-0000-4000-8000-000000000000", "1", "nobody")


def internal_routes() -> dict[str, type]:
    """Return every route under internal/ in the URLconf ("{}" for each parameter) and its view class."""
    import re

    from django.urls import URLPattern, URLResolver, get_resolver

    found: dict[str, type] = {}

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and route.startswith("internal/"):
                found[re.sub(r"<[^>]+>", "{}", route)] = entry.callback.view_class

    walk(get_resolver().url_patterns, "")
    return found


def concrete(route: str) -> str | None:
    """Return a path for `route` that resolves (parameters filled in), or None."""
    from django.urls import Resolver404, resolve

    for value in PATH_VALUES:
        path = "/" + route.replace("{}", value)
        try:
            resolve(path)
        except Resolver404:
            continue
        return path
    return None


def test_every_internal_route_has_a_row_in_the_scope_table():
    routed = set(internal_routes())
    tabled = {route for _, route in SCOPES}
    assert routed <= tabled, f"internal routes without a scope row: {sorted(routed - tabled)}"


def assert_needs_exactly(method: str, route: str, scope: str) -> None:
    """A token with every scope but `scope` is 403 insufficient_scope; one with `scope` alone gets past."""
    from vividly.accounts.models import Scope

    declared = getattr(internal_routes()[route], "required_scope", None)
    assert declared == scope, (route, declared)
    path = concrete(route)
    _, lacking = service_token(scopes=[other for other in Scope.values if other != scope])
    _, only = service_token(scopes=[scope])
    refused = getattr(client_with(f"Bearer {lacking}"), method)(path, {}, format="json")
    assert refused.status_code == 403, (route, refused.status_code)
    assert refused.json()["error"]["code"] == "insufficient_scope"
    allowed = getattr(client_with(f"Bearer {only}"), method)(path, {}, format="json")
    assert allowed.status_code not in (401, 403), (route, allowed.status_code, allowed.content[:200])


@pytest.mark.parametrize(("method", "route"), sorted(SCOPES))
def test_each_internal_endpoint_needs_exactly_its_scope(world, method, route):
    view = internal_routes().get(route)
    assert view is not None, f"{route} is not routed"
    assert getattr(view, "required_scope", None) == SCOPES[method, route], view
    assert_needs_exactly(method, route, SCOPES[method, route])


@pytest.mark.urls("vividly.tests.urls")
def test_the_scope_check_on_the_internal_probe(db):
    """The same check, on the one internal view this branch owns (the plumbing's probe)."""
    assert_needs_exactly("get", "internal/v1/probe", "cache:read")


def test_logout(world):
    """DELETE /api/v1/auth/token: people log their own token out; no token or a service token is 401."""
    assert statuses(world, "delete", "/api/v1/auth/token") == expect(401, (204, 204), (204, 204), 204, 401)
    # Each caller's token is gone now.
    assert statuses(world, "get", "/api/v1/content/requests", roles=USERS) == dict.fromkeys(USERS, 401)
