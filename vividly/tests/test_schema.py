"""The OpenAPI document: generated once per process, regenerated when a setting changes."""

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
