"""What a person sees of the service itself, in a real browser: the front page and the API docs."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AUDIENCES = ["Students and teachers", "Content pipeline", "Notifications", "Operations"]


def test_the_front_page_leads_to_the_api_docs_and_the_admin(page, live_server):
    page.goto(f"{live_server.url}/")
    assert page.title() == "Vividly infrastructure services"
    assert page.locator("h1").inner_text() == "Vividly infrastructure services"

    page.click("#docs-link")
    page.wait_for_url(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Vividly infrastructure services" in page.locator(".swagger-ui .info .title").inner_text()

    page.go_back()
    page.click("#admin-link")
    # Not signed in: the admin's own sign-in page, styled, not an error.
    page.wait_for_url(f"{live_server.url}/admin/login/?next=/admin/")
    assert page.locator("#id_username").is_visible()


def test_the_api_docs_show_one_section_per_audience_in_order(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    sections = page.locator(".swagger-ui .opblock-tag-section h3.opblock-tag")
    sections.first.wait_for()
    names = [sections.nth(n).get_attribute("data-tag") for n in range(sections.count())]
    assert names == AUDIENCES
    # Each section says who it is for, and lists its operations with their summaries.
    pipeline = page.locator('.swagger-ui h3.opblock-tag[data-tag="Content pipeline"]')
    assert "video generator" in pipeline.inner_text()
    summaries = page.locator(".swagger-ui .opblock-summary-description").all_inner_texts()
    assert "Look up whether a video is already made" in summaries
    assert "Sign in: exchange a username and password for a token" in summaries
