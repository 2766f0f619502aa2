"""The unsubscribe page in a real browser: it renders, opening it changes nothing, its button unsubscribes."""

import pytest

from notifications_app.preference_selectors import opt_out_reason, preference_of_address
from notifications_app.unsubscribe import unsubscribe_url
from vividly.accounts.tests.factories import StudentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TO = "maya@example.edu"


def test_the_page_renders_and_its_button_unsubscribes(page, live_server, settings):
    settings.APP_PREFERENCES_URL = "https://app.vividly.edu/settings/notifications"
    StudentFactory(email=TO)
    path = unsubscribe_url(address=TO, category="content_updates").removeprefix(settings.PUBLIC_BASE_URL)

    page.goto(f"{live_server.url}{path}")
    assert page.get_by_role("heading", level=1).inner_text() == "Unsubscribe from “Content updates” emails?"
    assert "Vividly Team" in page.locator("main").inner_text()
    preferences = page.get_by_role("link", name="Change all my email preferences")
    assert preferences.get_attribute("href") == "https://app.vividly.edu/settings/notifications"
    # Opening the page (as a mail scanner would) unsubscribed nobody.
    assert opt_out_reason(preference_of_address(TO), "content_updates") is None

    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("status").wait_for()
    assert page.get_by_role("status").inner_text() == "You are unsubscribed"
    assert opt_out_reason(preference_of_address(TO), "content_updates") == "unsubscribed"


def test_a_broken_link_shows_a_page_that_says_so(page, live_server):
    response = page.goto(f"{live_server.url}/email/unsubscribe/not-a-real-token")
    assert response.status == 400
    assert page.get_by_role("heading", level=1).inner_text() == "This unsubscribe link does not work"
    assert page.get_by_role("button").count() == 0
