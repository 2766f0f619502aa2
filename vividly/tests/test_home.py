"""The front page (`/`) and the admin's "View site": pages for people, pointing where people go."""

import pytest
from django.test import Client

from vividly.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_front_page_names_the_service_and_links_the_docs_and_the_admin(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<h1>Vividly infrastructure services</h1>" in page
    assert 'href="/api/docs/"' in page and 'href="/admin/"' in page
    # Nothing about its configuration: no secret, no database, no Redis address.
    for secret in ("SECRET", "redis://", "sqlite", "postgres"):
        assert secret not in page


def test_the_front_page_links_the_app_when_it_lives_elsewhere(client, settings):
    assert 'id="app-link"' not in client.get("/").content.decode()  # the app is this very host
    settings.APP_BASE_URL = "https://learn.school.example.edu"
    assert 'href="https://learn.school.example.edu" id="app-link"' in client.get("/").content.decode()


def test_the_front_page_only_answers_reads(client):
    assert client.head("/").status_code == 200
    assert client.post("/").status_code == 405


@pytest.mark.parametrize("path", ["/api/", "/api/nothing-here", "/internal/", "/internal/v1/nothing"])
def test_unknown_api_paths_still_answer_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_admins_view_site_link_opens_the_app(settings):
    settings.APP_BASE_URL = "https://learn.school.example.edu"
    client = Client()
    client.force_login(StaffFactory())
    page = client.get("/admin/").content.decode()
    assert '<a href="https://learn.school.example.edu">View site</a>' in page
