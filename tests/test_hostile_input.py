"""Bad input on every endpoint: hostile text, wrong types and shapes, too much of anything.

Every text field of every request body, every query parameter, every path parameter and
the User-Agent header gets NUL, lone surrogates, control characters, CR/LF, RTL marks,
emoji, markup and 10 000-character strings. Whatever the value, the answer is JSON and
never a 5xx; a refusal is a 4xx with the contract's error body. Then: malformed JSON,
bodies of the wrong JSON type, strings given as numbers, lists or objects, wrong content
types, wrong methods, unknown paths, deep nesting, oversized bodies and batches.
"""

import base64
import copy
import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from rest_framework.test import APIClient

from cache_app.tests.factories import store_body
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content
from devstack.api_clients import client_with
from notifications_app.models import Notification, ProviderEvent, Status
from notifications_app.registry import TEMPLATES
from notifications_app.tests.support import send
from vividly.accounts.tests.factories import service_token
from vividly.api.throttling import LoginThrottle

pytestmark = pytest.mark.django_db

HOSTILE = {
    "nul": "a\x00b",
    "lone surrogate": "\ud800",
    "low surrogate": "x\udfff",
    "control": "\x1b[31m\x07\x08\x7f",
    "crlf": "line\r\nX-Injected: yes",
    "rtl": "\u202egnp.exe\u200f",
    "zero width": "\ufeffzero\u200bwidth",
    "emoji": "🎬👩🏽‍🏫",
    "combining": "e\u0301\u0301\u0301",
    "markup": "<script>alert(1)</script>",
    "sql": "' OR 1=1; --",
    "traversal": "../../etc/passwd",
    "empty": "",
    "spaces": "   ",
    "10k": "é" * 10_000,
}
NOT_A_STRING = {"number": 42, "float": 1e308, "bool": True, "null": None, "list": ["a"], "object": {"a": "b"}}
_addresses = itertools.count()


@dataclass
class Target:
    """One endpoint, a valid request to it, and where its text goes."""

    name: str
    method: str
    path: str  # may hold {key} for a path parameter
    caller: str
    body: dict | None = None
    body_fields: list[tuple] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    path_value: str | None = None  # the valid value of {key}
    user_agent: bool = False


def endpoints(world: dict) -> list[Target]:
    mine, key, view = world["mine"], world["mine"]["cache_key"], world["view_id"]
    welcome = TEMPLATES["welcome_student"].sample
    triple = {f: mine[f] for f in ("topic_id", "interest", "style")}
    content = "/api/v1/content/{key}"
    classroom = str(world["teacher_a"].classrooms.get().pk)
    return [
        Target(
            "token", "post", "/api/v1/auth/token", "anonymous",
            {"username": world["student_a"].username, "password": "pw-for-tests"}, [("username",), ("password",)],
        ),
        Target(
            "request", "post", "/api/v1/content/requests", "student_a",
            {"topic_id": "t", "interest": "i", "style": "s"}, [("topic_id",), ("interest",), ("style",)],
        ),
        Target("requests", "get", "/api/v1/content/requests", "student_a", query={"limit": "5", "offset": "0"}),
        Target(
            "url", "get", f"{content}/url", "student_a", query={"type": "video", "quality": "720p"}, path_value=key
        ),
        Target(
            "urls batch", "post", "/api/v1/content/urls/batch", "student_a",
            {"items": [{"cache_key": key, "type": "video", "quality": "720p"}]},
            [("items", 0, "cache_key"), ("items", 0, "type"), ("items", 0, "quality")],
        ),
        Target(
            "view", "post", f"{content}/view", "student_a", {"quality": "720p"}, [("quality",)],
            path_value=key, user_agent=True,
        ),
        Target(
            "progress", "post", f"{content}/progress", "student_a", {"view_id": view, "position_seconds": 5},
            [("view_id",), ("position_seconds",)], path_value=key,
        ),
        Target(
            "complete", "post", f"{content}/complete", "student_a", {"view_id": view}, [("view_id",)],
            path_value=key,
        ),
        Target("playback", "get", f"{content}/playback", "student_a", path_value=key),
        Target("analytics", "get", f"{content}/analytics", "teacher_a", path_value=key),
        Target("analytics (staff)", "get", f"{content}/analytics", "staff", path_value=key),
        Target(
            "analytics (filters)", "get", f"{content}/analytics", "teacher_a",
            query={"from": "2026-01-01", "to": "2026-12-31", "classroom": classroom}, path_value=key,
        ),
        Target("classrooms", "get", "/api/v1/classrooms", "teacher_a", query={"limit": "5", "offset": "0"}),
        Target(
            "class progress", "get", "/api/v1/classrooms/{key}/progress", "teacher_a",
            query={"cache_key": key, "format": "json"}, path_value=classroom,
        ),
        Target(
            "cache check", "post", "/internal/v1/cache/check", "service", triple,
            [("topic_id",), ("interest",), ("style",)],
        ),
        Target(
            "cache store", "post", "/internal/v1/cache/store", "service", {**store_body(), "metadata": {
                **store_body()["metadata"], "note": "extra keys are kept"}},
            [("topic_id",), ("interest",), ("style",), ("metadata", "title"), ("metadata", "assets", "video", "720p"),
             ("metadata", "assets", "audio"), ("metadata", "assets", "script"), ("metadata", "note")],
        ),
        Target(
            "invalidate (body)", "delete", "/internal/v1/cache/invalidate", "service",
            {**triple, "dry_run": True}, [("topic_id",), ("interest",), ("style",)],
        ),
        Target(
            "invalidate (key)", "delete", "/internal/v1/cache/invalidate", "service",
            {"cache_key": key, "dry_run": True}, [("cache_key",)],
        ),
        Target(
            "invalidate (query)", "delete", "/internal/v1/cache/invalidate", "service",
            query={"topic_id": mine["topic_id"], "dry_run": "true"},
        ),
        Target(
            "send", "post", "/internal/v1/notifications/send", "service",
            {"to": "maya@example.edu", "template": "welcome_student", "context": {**welcome, "extra": "kept"},
             "priority": "normal", "idempotency_key": "k"},
            [("to",), ("template",), ("context", "student_name"), ("context", "login_url"), ("context", "extra"),
             ("priority",), ("idempotency_key",)],
        ),
        Target(
            "send batch", "post", "/internal/v1/notifications/send/batch", "service",
            {"template": "welcome_student", "priority": "low", "recipients": [{"to": "maya@example.edu",
             "context": welcome}]},
            [("template",), ("priority",), ("recipients", 0, "to"), ("recipients", 0, "context", "student_name")],
        ),
        Target(
            "status", "get", "/internal/v1/notifications/{key}/status", "service",
            path_value=str(world["notification"].pk),
        ),
    ]  # fmt: skip


@pytest.fixture
def world(school, as_user, monkeypatch):
    monkeypatch.setattr(LoginThrottle, "rate", "100000/min", raising=False)
    mine = stored_content()
    request = requested(school["student_a"], mine)
    view = ViewSessionFactory(user=school["student_a"], cache_key=mine["cache_key"], duration_seconds=120)
    _, key = service_token()
    clients = {role: as_user(school[role]) for role in ("student_a", "teacher_a", "staff")}
    clients["anonymous"] = APIClient()
    clients["service"] = client_with(f"Bearer {key}")
    for client in clients.values():
        client.raise_request_exception = False  # a crash must show as the 500 a client would get
    return {
        **school,
        "mine": mine,
        "request": request,
        "view_id": str(view.pk),
        "notification": send(),
        "clients": clients,
    }


def with_value(body: dict, where: tuple, value: Any) -> dict:
    changed = copy.deepcopy(body)
    container = changed
    for step in where[:-1]:
        container = container[step]
    container[where[-1]] = value
    return changed


def fresh(body: dict | None) -> dict | None:
    """Keep sends clear of the per-recipient limit and idempotency replays."""
    if body is None:
        return None
    body = copy.deepcopy(body)
    n = next(_addresses)
    if "idempotency_key" in body:
        body["idempotency_key"] = f"key-{n}"
    for holder in [body, *body.get("recipients", [])]:
        if "to" in holder:
            holder["to"] = f"r{n}@example.edu"
    return body


def raw(value: str) -> str:
    """Percent-encode text as a client's bytes would arrive (a lone surrogate as its CESU bytes)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def as_header(value: str) -> str:
    """Text as a WSGI server hands a header over: its bytes, read as latin-1."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


def variants(target: Target, values: dict[str, Any]) -> Iterator[tuple[str, str, dict | None, dict, str]]:
    """Yield (label, path, body, headers, query string) with each value in each place of the target."""
    path = target.path.replace("{key}", raw(target.path_value or ""))
    query = urlencode(target.query)
    for where, (label, value) in itertools.product(target.body_fields, values.items()):
        yield f"{'.'.join(map(str, where))}={label}", path, with_value(fresh(target.body), where, value), {}, query
    texts = {label: value for label, value in values.items() if isinstance(value, str)}
    for name, (label, value) in itertools.product(target.query, texts.items()):
        hostile = "&".join(f"{k}={raw(value) if k == name else quote(v)}" for k, v in target.query.items())
        yield f"?{name}={label}", path, fresh(target.body), {}, hostile
    if target.path_value is not None:
        for label, value in texts.items():
            yield f"path={label}", target.path.replace("{key}", raw(value) or "x"), fresh(target.body), {}, query
    if target.user_agent:
        for label, value in texts.items():
            yield f"User-Agent={label}", path, fresh(target.body), {"HTTP_USER_AGENT": as_header(value)}, query


def problems_with(response, label: str) -> list[str]:
    """Return how an answer breaks the contract (empty when it keeps it)."""
    if response.status_code >= 500:
        return [f"{label}: {response.status_code} {response.content[:200]!r}"]
    if not response["Content-Type"].startswith("application/json"):
        return [f"{label}: {response.status_code} answered {response['Content-Type']}"]
    if response.status_code >= 400:
        error = response.json().get("error", {})
        if set(error) != {"code", "message", "details"} or not error["code"] or not error["message"]:
            return [f"{label}: {response.status_code} without the error body: {response.content[:200]!r}"]
    return []


def send_variant(client, method: str, path: str, body, headers: dict, query: str):
    url = f"{path}?{query}" if query else path
    if body is None:
        return getattr(client, method)(url, **headers)
    # The body as a client sends it: a lone surrogate travels as a JSON \\ud800 escape.
    return client.generic(method.upper(), url, json.dumps(body), content_type="application/json", **headers)


ENDPOINTS = [
    "token", "request", "requests", "url", "playback", "urls batch", "view", "progress", "complete", "analytics",
    "analytics (staff)", "analytics (filters)", "classrooms", "class progress",
    "cache check", "cache store", "invalidate (body)", "invalidate (key)", "invalidate (query)",
    "send", "send batch", "status",
]  # fmt: skip


def target_named(world: dict, name: str) -> Target:
    targets = {target.name: target for target in endpoints(world)}
    assert sorted(targets) == sorted(ENDPOINTS)
    return targets[name]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_hostile_text_everywhere_is_a_clear_4xx_or_a_success_never_a_5xx(world, endpoint):
    target = target_named(world, endpoint)
    client = world["clients"][target.caller]
    problems, answered = [], set()
    for label, path, body, headers, query in variants(target, HOSTILE):
        response = send_variant(client, target.method, path, body, headers, query)
        problems += problems_with(response, label)
        answered.add(response.status_code)
    assert not problems, f"{target.name}:\n" + "\n".join(problems)
    assert answered & {400, 404}, f"{target.name}: nothing was refused ({answered})"


BODY_ENDPOINTS = [
    "token", "request", "urls batch", "view", "progress", "complete", "cache check", "cache store",
    "invalidate (body)", "invalidate (key)", "send", "send batch",
]  # fmt: skip


@pytest.mark.parametrize("endpoint", BODY_ENDPOINTS)
def test_numbers_lists_objects_and_null_for_text_are_refused_or_harmless(world, endpoint):
    target = target_named(world, endpoint)
    assert target.body_fields
    client = world["clients"][target.caller]
    problems, answered = [], set()
    for label, path, body, headers, query in variants(target, NOT_A_STRING):
        response = send_variant(client, target.method, path, body, headers, query)
        problems += problems_with(response, label)
        answered.add(response.status_code)
    assert not problems, f"{target.name}:\n" + "\n".join(problems)
    assert 400 in answered, f"{target.name}: no wrong type was refused ({answered})"


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def body_targets(world: dict) -> Iterator[tuple[Target, Any, str]]:
    for name in BODY_ENDPOINTS:
        target = target_named(world, name)
        yield target, world["clients"][target.caller], target.path.replace("{key}", target.path_value or "")


@pytest.mark.parametrize("body", ["[]", "[{}]", "42", '"text"', "null", "true"])
def test_a_body_that_is_not_an_object_is_400(world, body):
    for target, client, path in body_targets(world):
        response = client.generic(target.method.upper(), path, body, content_type="application/json")
        assert_error(response, 400), target.name


@pytest.mark.parametrize(
    "body", ["{not json", '{"a": }', "{'single': 'quotes'}", '{"a": NaN}', "\xff\xfe{}", '{"a": 1']
)
def test_malformed_json_is_400(world, body):
    for target, client, path in body_targets(world):
        response = client.generic(target.method.upper(), path, body.encode("latin-1"), content_type="application/json")
        assert_error(response, 400, "malformed_json"), target.name


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_other_content_types_are_415(world, content_type):
    for target, client, path in body_targets(world):
        response = client.generic(target.method.upper(), path, "topic_id=a&style=b", content_type=content_type)
        assert_error(response, 415, "unsupported_media_type"), target.name


ALLOWED = {
    "/api/v1/auth/token": {"POST", "DELETE"},
    "/api/v1/content/requests": {"GET", "POST"},
    "/api/v1/content/requests/{request}": {"DELETE"},
    "/api/v1/content/urls/batch": {"POST"},
    "/api/v1/content/{key}/url": {"GET"},
    "/api/v1/content/{key}/playback": {"GET"},
    "/api/v1/content/{key}/view": {"POST"},
    "/api/v1/content/{key}/progress": {"POST"},
    "/api/v1/content/{key}/complete": {"POST"},
    "/api/v1/content/{key}/analytics": {"GET"},
    "/api/v1/classrooms": {"GET"},
    "/api/v1/classrooms/{classroom}/progress": {"GET"},
    "/internal/v1/cache/check": {"POST"},
    "/internal/v1/cache/store": {"POST"},
    "/internal/v1/cache/stats": {"GET"},
    "/internal/v1/cache/stats/reset": {"POST"},
    "/internal/v1/cache/invalidate": {"DELETE"},
    "/internal/v1/notifications/send": {"POST"},
    "/internal/v1/notifications/send/batch": {"POST"},
    "/internal/v1/notifications/{id}/status": {"GET"},
}


def test_every_other_method_is_a_json_405_naming_the_allowed_ones(world):
    for template, allowed in ALLOWED.items():
        path = (
            template.replace("{key}", world["mine"]["cache_key"])
            .replace("{id}", str(world["notification"].pk))
            .replace("{request}", str(world["request"].pk))
            .replace("{classroom}", str(world["teacher_a"].classrooms.get().pk))
        )
        client = world["clients"]["service" if path.startswith("/internal/") else "staff"]
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed:
            response = client.generic(method, path, "{}", content_type="application/json")
            assert_error(response, 405, "method_not_allowed"), (method, path)
            assert allowed <= {m.strip() for m in response["Allow"].split(",")}, (method, path)


@pytest.mark.parametrize(
    "path",
    [
        "/api/",
        "/api/v2/content/requests",
        "/api/v1/content/",
        "/api/v1/content/requests/extra",
        f"/api/v1/content/{'a' * 64}/unknown",
        "/api/v1/content/%00/url/x",
        "/internal/",
        "/internal/v1/cache/",
        "/internal/v1/cache/check/",
        "/internal/v1/notifications/not-a-uuid/status",
        "/internal/v1/notifications/%E2%80%AE/status",
    ],
)
def test_unknown_paths_are_json_404_for_anyone(world, path):
    for role in ("anonymous", "service", "staff"):
        assert_error(world["clients"][role].get(path), 404, "not_found")


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_deep_nesting_is_400_everywhere(world, depth):
    deep = "[" * depth + "]" * depth
    for target, client, path in body_targets(world):
        response = client.generic(target.method.upper(), path, deep, content_type="application/json")
        assert_error(response, 400, "malformed_json"), target.name


def with_nested(body: dict, where: tuple[str, str], depth: int) -> str:
    """Return `body` as JSON text with an object nested `depth` deep at `where`.

    Built as text: encoding it with json.dumps would recurse once per level, and on a deep
    enough test call stack (xdist adds frames) the test itself would hit the recursion limit.
    """
    marker = "__nested__"
    outer, inner = where
    text = json.dumps({**body, outer: {**body[outer], inner: marker}})
    return text.replace(json.dumps(marker), '{"n": ' * depth + '"leaf"' + "}" * depth)


@pytest.mark.parametrize("depth", [50, 500, 950])
def test_nesting_inside_free_form_objects_never_breaks_the_server(world, depth):
    """context and metadata take any JSON object; nesting deep enough to parse is still handled,
    and nothing is kept that could not be served back."""
    service = world["clients"]["service"]
    body = store_body()
    stored = service.generic(
        "POST",
        "/internal/v1/cache/store",
        with_nested(body, ("metadata", "x"), depth),
        content_type="application/json",
    )
    assert_error(stored, 400)
    triple = {f: body[f] for f in ("topic_id", "interest", "style")}
    check = service.post("/internal/v1/cache/check", triple, format="json")
    assert check.json()["cache_hit"] is False

    send_body = {**welcome_body(), "context": dict(TEMPLATES["welcome_student"].sample)}
    sent = service.generic(
        "POST",
        "/internal/v1/notifications/send",
        with_nested(send_body, ("context", "extra"), depth),
        content_type="application/json",
    )
    if sent.status_code == 400:  # too deep for the parser, on this call stack
        assert_error(sent, 400, "malformed_json")
    else:
        assert sent.status_code == 202, sent.content[:300]
        status = service.get(f"/internal/v1/notifications/{sent.json()['id']}/status")
        assert status.status_code == 200


def welcome_body() -> dict:
    return {"to": f"r{next(_addresses)}@example.edu", "template": "welcome_student", "context": {}}


class RefusesToBeRead:
    """A request body stream that fails the test if anything reads it."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the oversized body was read")

    readline = read


def test_an_oversized_body_is_413_before_it_is_read(world, settings):
    declared = str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    for target, client, path in body_targets(world):
        response = client.generic(
            target.method.upper(),
            path,
            "{}",
            content_type="application/json",
            CONTENT_LENGTH=declared,
            **{"wsgi.input": RefusesToBeRead()},
        )
        assert_error(response, 413, "request_too_large"), target.name


def test_an_oversized_body_is_413_when_actually_sent(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    big = json.dumps({"topic_id": "x" * 20_000, "interest": "a", "style": "b"})
    for target, client, path in body_targets(world):
        assert_error(client.generic(target.method.upper(), path, big, content_type="application/json"), 413)


def test_an_oversized_webhook_post_is_refused_without_a_5xx(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "sendgrid:secret"}
    response = client.post(
        "/anymail/sendgrid/tracking/",
        json.dumps([{"event": "delivered", "padding": "x" * 20_000}]),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic c2VuZGdyaWQ6c2VjcmV0",
    )
    # The body cap covers /anymail/ before anymail reads it: the contract's 413.
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_batches_over_their_limit_are_400_and_store_nothing(world):
    items = [{"cache_key": world["mine"]["cache_key"]}] * 101
    error = assert_error(
        world["clients"]["student_a"].post("/api/v1/content/urls/batch", {"items": items}, format="json"), 400
    )
    assert "items" in error["details"]
    sample = TEMPLATES["welcome_student"].sample
    before = Notification.objects.count()
    recipients = [{"to": f"s{n}@example.edu", "context": sample} for n in range(1001)]
    response = world["clients"]["service"].post(
        "/internal/v1/notifications/send/batch",
        {"template": "welcome_student", "recipients": recipients},
        format="json",
    )
    assert "recipients" in assert_error(response, 400, "validation_error")["details"]
    assert Notification.objects.count() == before


WEBHOOK = "/anymail/sendgrid/tracking/"
WEBHOOK_SECRET = "sendgrid:hook-secret"


@pytest.mark.parametrize("label", ["nul", "lone surrogate", "control", "crlf", "10k", "emoji"])
def test_hostile_text_in_tracking_events_never_makes_the_webhook_fail(client, settings, label):
    """SendGrid retries a failed post for a day: one odd character must not block a whole batch."""
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": WEBHOOK_SECRET}
    notification = Notification.objects.create(
        to="maya@example.edu",
        template="welcome_student",
        context=TEMPLATES["welcome_student"].sample,
        status=Status.SENT,
        attempts=1,
        provider_message_id=str(uuid.uuid4()),
    )
    value = HOSTILE[label]
    base = {
        "email": notification.to,
        "timestamp": 1_760_000_000,
        "anymail_id": notification.provider_message_id,
        "notification_id": str(notification.pk),
    }
    events = [
        {**base, "event": "bounce", "type": "bounce", "reason": value, "status": value, "sg_event_id": "1"},
        {**base, "event": "deferred", "response": value, "attempt": value, "sg_event_id": value},
        {**base, "event": "open", "useragent": value, "ip": value, "sg_event_id": "3", value: value},
        {**base, "event": "delivered", "anymail_id": value, "notification_id": value, "sg_event_id": "4"},
        {**base, "event": "click", "url": value, "email": value, "sg_event_id": "5"},
    ]  # fmt: skip
    response = client.post(
        WEBHOOK,
        json.dumps(events),
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(WEBHOOK_SECRET.encode()).decode(),
    )
    assert response.status_code == 200, response.content[:300]
    assert ProviderEvent.objects.filter(notification=notification).exists()


@pytest.mark.parametrize("length", ["abc", "1e3", " ", "-1", "99999999999999999999999999"])
def test_a_strange_content_length_is_a_4xx(world, length):
    for target, client, path in body_targets(world):
        response = client.generic(
            target.method.upper(), path, "{}", content_type="application/json", CONTENT_LENGTH=length
        )
        assert 400 <= response.status_code < 500, (target.name, length, response.status_code)
        assert_error(response, response.status_code)


@pytest.mark.parametrize("host", ["evil.example.com", "localhost.evil.example.com", "local host", "[::1", "a" * 300])
def test_a_host_we_do_not_serve_is_a_json_400(world, host):
    for role, path in (("service", "/internal/v1/cache/stats"), ("student_a", "/api/v1/content/requests")):
        assert_error(world["clients"][role].get(path, HTTP_HOST=host), 400), host
