"""An unknown ?format= is ignored; a known one still chooses the renderer."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_format_query_parameter_is_ignored_not_a_404(as_user, school):
    """Issue 17: schema fuzzing sent `?format=null` to GET /api/v1/content/requests and got an undocumented 404."""
    api = as_user(school["student_a"])
    for query in ("format=null", "format=xml", "format=json"):
        response = api.get(f"/api/v1/content/requests?{query}")
        assert response.status_code == 200, query
        assert response["Content-Type"] == "application/json"
        assert response.json()["count"] == 0


def test_the_schema_still_answers_in_the_format_asked_for(client):
    response = client.get("/api/schema/?format=json")
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert response.json()["openapi"].startswith("3.")
