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


@pytest.mark.parametrize("accept", [None, "", "*/*", " */* ", "application/json", "text/html", "*/*; q=0.5"])
@pytest.mark.parametrize("query", ["", "?format=json", "?format=null"])
def test_every_choice_is_the_one_drf_itself_makes(rf, accept, query):
    """The shortcut for "anything" answers exactly what DRF's own negotiation answers (or refuses)."""
    from django.http import Http404
    from rest_framework import exceptions
    from rest_framework.negotiation import DefaultContentNegotiation
    from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
    from rest_framework.request import Request

    from vividly.api.negotiation import ContentNegotiation

    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(rf.get(f"/x{query}", **headers))
    for renderers in ([JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()], [BrowsableAPIRenderer()]):
        try:
            expected = DefaultContentNegotiation().select_renderer(request, renderers)
        except exceptions.NotAcceptable:
            expected = "406"
        except Http404:  # DRF's answer to an unknown ?format=, which ours replaces (tested above)
            continue
        try:
            chosen = ContentNegotiation().select_renderer(request, renderers)
        except exceptions.NotAcceptable:
            chosen = "406"
        assert chosen == expected, (accept, query, renderers)
