"""The OpenAPI document: generated once per process, regenerated when a setting changes."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture
def generations(monkeypatch) -> list[int]:
    """Count the full schema generations (drf-spectacular's own get_schema)."""
    calls: list[int] = []
    generate = SchemaGenerator.get_schema

    def counted(self, request=None, public=False):
        calls.append(1)
        return generate(self, request, public)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    return calls


def test_the_schema_is_generated_once_for_every_request(client, generations, settings):
    settings.SPECTACULAR_SETTINGS = {**settings.SPECTACULAR_SETTINGS}  # start from a fresh process state
    first = client.get("/api/schema/")
    answers = [client.get("/api/schema/") for _ in range(5)]
    assert first.status_code == 200
    assert "/internal/v1/cache/store" in first.json()["paths"]
    assert all(answer.content == first.content for answer in answers)
    assert len(generations) == 1


def test_a_setting_change_regenerates_it(client, generations, settings):
    client.get("/api/schema/")
    settings.CACHE_HOT_TTL = settings.CACHE_HOT_TTL + 1
    client.get("/api/schema/")
    assert len(generations) == 2


AUDIENCES = ["Students and teachers", "Content pipeline", "Notifications", "Operations"]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# A server setting's name (MAX_PENDING_REQUESTS_PER_STUDENT) means nothing to a caller.
SETTING_NAME = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b")


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def test_every_operation_has_a_summary_a_description_and_one_audience(client):
    schema = client.get("/api/schema/").json()
    found = operations(schema)
    assert len(found) >= 30  # the walk saw the whole API, not an empty document
    problems = []
    for method, path, operation in found:
        summary, description = operation.get("summary", "").strip(), operation.get("description", "").strip()
        if not summary or len(summary) > 80:
            problems.append(f"{method} {path}: summary {summary!r}")
        if len(description) < 40 or description == summary:
            problems.append(f"{method} {path}: description {description!r}")
        if SETTING_NAME.search(description):
            problems.append(f"{method} {path}: names a server setting: {SETTING_NAME.search(description)[0]}")
        if len(operation.get("tags", [])) != 1 or operation["tags"][0] not in AUDIENCES:
            problems.append(f"{method} {path}: tags {operation.get('tags')}")
    assert problems == []
    # Each audience is described at the top, in the order Swagger UI shows them, and used.
    assert [tag["name"] for tag in schema["tags"]] == AUDIENCES
    assert all(len(tag["description"]) > 40 for tag in schema["tags"])
    assert {operation["tags"][0] for _, _, operation in found} == set(AUDIENCES)


def test_each_security_scheme_names_the_header_form_it_expects(client):
    schemes = client.get("/api/schema/").json()["components"]["securitySchemes"]
    assert set(schemes) == {"tokenAuth", "serviceToken"}
    assert "`Authorization: Token <key>`" in schemes["tokenAuth"]["description"]
    assert (schemes["tokenAuth"]["in"], schemes["tokenAuth"]["name"]) == ("header", "Authorization")
    assert "`Authorization: Bearer <token>`" in schemes["serviceToken"]["description"]
    assert schemes["serviceToken"]["scheme"] == "bearer"


def test_the_public_api_asks_for_user_tokens_and_the_internal_api_for_service_tokens(client):
    for method, path, operation in operations(client.get("/api/schema/").json()):
        if (method, path) == ("POST", "/api/v1/auth/token"):
            assert operation.get("security", []) in ([], [{}])  # signing in needs no token
        elif path.startswith("/api/"):
            assert operation["security"] == [{"tokenAuth": []}], (method, path)
        else:
            assert {"serviceToken": []} in operation["security"], (method, path)
