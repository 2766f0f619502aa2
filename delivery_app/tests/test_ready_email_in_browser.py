"""The content_ready email as a parent reads it on a phone: sent through the real path, opened in Chromium."""

import pytest

from cache_app.tests.factories import metadata
from devstack.workers import drain
from vividly.accounts.tests.factories import StudentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRIPLE = {"topic_id": "optics-rainbows", "interest": "skateboarding", "style": "visual"}
PHONE = {"width": 390, "height": 844}
API = "https://api.school.example.edu"


@pytest.fixture
def ready_email(as_user, service_client, sendgrid, settings, live_server):
    """Return a function: the HTML of the content_ready email a student of that name receives.

    The app (APP_BASE_URL) is the live server and this API service lives elsewhere, so every
    link meant for people can be told from a link to the API, and followed.
    """
    settings.PUBLIC_BASE_URL = API
    settings.APP_BASE_URL = live_server.url
    settings.EMAIL_LINK_HOSTS = ["localhost", "api.school.example.edu"]

    def receive(display_name: str, username: str) -> str:
        student = StudentFactory(username=username, email=f"{username}@example.edu", display_name=display_name)
        assert as_user(student).post("/api/v1/content/requests", TRIPLE, format="json").json()["status"] == "pending"
        body = {**TRIPLE, "metadata": metadata(title="Rainbows in the Half-Pipe")}
        stored = service_client.post("/internal/v1/cache/store", body, format="json")
        assert stored.status_code == 201
        drain()  # the worker's jobs: mark the request ready, send the email to SendGrid's stand-in
        payload = next(p for p in sendgrid.payloads if p["personalizations"][0]["to"][0]["email"] == student.email)
        return next(part["value"] for part in payload["content"] if part["type"] == "text/html")

    return receive


def open_on_a_phone(page, html: str) -> None:
    page.set_viewport_size(PHONE)
    page.set_content(html)


def test_a_parent_reads_the_ready_email_on_a_phone(page, ready_email, live_server):
    open_on_a_phone(page, ready_email("Alice Smith", "alice"))

    assert page.get_by_text("Hi Alice Smith,", exact=True).is_visible()
    assert "alice," not in page.inner_text("body")
    assert page.get_by_text("Rainbows in the Half-Pipe", exact=True).is_visible()
    # The logo and the footer link go to the app, never to this API service.
    logo = page.get_by_role("link", name="Vividly", exact=True)
    assert logo.get_attribute("href") == live_server.url
    footer = page.get_by_role("link", name=live_server.url, exact=True)
    assert footer.get_attribute("href") == live_server.url
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    # The one link this service serves itself is the one-click unsubscribe (CONTRACT.md).
    api_links = [href for href in hrefs if href.startswith(API)]
    assert hrefs and [href.removeprefix(API).split("/")[1:3] for href in api_links] == [["email", "unsubscribe"]]
    assert page.get_by_role("link", name="Watch now").get_attribute("href").startswith(f"{live_server.url}/watch/")
    # Nothing wider than the phone: no sideways scrolling to read it.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.evaluate("document.body.scrollWidth") <= PHONE["width"]

    # The logo opens a page (here the service's own front page), not a 404.
    logo.click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Vividly infrastructure services"


def test_a_student_without_a_name_is_greeted_neutrally(page, ready_email):
    open_on_a_phone(page, ready_email("", "bob42"))
    assert page.get_by_text("Hi,", exact=True).is_visible()
    assert "bob42" not in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
