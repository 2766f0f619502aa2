"""The cache's admin pages as staff see them in a real browser: entries by title, deletion, statistics, the site."""

import pytest

from cache_app import services
from cache_app.services import cache_entry_store
from cache_app.tests.factories import metadata, triple
from cache_app.tiers import cold_tier
from devstack.browser import overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_entries_fit_the_window_and_deleting_one_removes_its_content(staff_page, live_server):
    page = staff_page
    kept = cache_entry_store(
        **triple(topic_id="photosynthesis-and-the-light-dependent-reactions", interest="competitive skateboarding"),
        metadata=metadata(title="Leaves at Work: how a plant turns sunlight into sugar"),
    ).cache_key
    doomed = cache_entry_store(**triple(topic_id="gravity"), metadata=metadata(title="Falling Apples")).cache_key

    page.goto(f"{live_server.url}/admin/cache_app/cacheentry/")
    assert page.get_by_role("link", name="Leaves at Work: how a plant turns sunlight into sugar").is_visible()
    assert overflow(page) == {"page": 0, "table": 0}
    assert "UTC" in page.locator("#result_list td.field-stored_at").first.inner_text()

    page.get_by_role("link", name="Falling Apples").click()
    assert page.locator("input[name=_save]").count() == 0  # nothing to edit: the tiers hold the entry
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, I\N{RIGHT SINGLE QUOTATION MARK}m sure").click()
    page.wait_for_url(f"{live_server.url}/admin/cache_app/cacheentry/")

    assert not services.cache_entry_fetch(cache_key=doomed, record=False).hit
    assert cold_tier.get(doomed) is None
    assert services.cache_entry_fetch(cache_key=kept, record=False).hit
    # The bulk path is the invalidate action; Django's row-only delete is not offered.
    options = page.locator("select[name=action] option").all_inner_texts()
    assert "Invalidate: delete from both tiers" in options and not any("Delete selected" in o for o in options)


def test_resetting_the_statistics_asks_first(staff_page, live_server):
    page = staff_page
    cache_entry_store(**triple(), metadata=metadata())
    page.goto(f"{live_server.url}/admin/cache_app/cacheentry/statistics/")
    assert page.locator("table").first.is_visible()
    page.get_by_role("link", name="Reset the counters…").click()
    page.wait_for_url(f"{live_server.url}/admin/cache_app/cacheentry/statistics/reset/")
    assert "It cannot be undone" in page.locator("#content").inner_text()
    page.get_by_role("link", name="No, take me back").click()
    page.wait_for_url(f"{live_server.url}/admin/cache_app/cacheentry/statistics/")
    assert page.locator(".messagelist").count() == 0
    page.get_by_role("link", name="Reset the counters…").click()
    page.get_by_role("button", name="Yes, reset the counters").click()
    page.wait_for_url(f"{live_server.url}/admin/cache_app/cacheentry/statistics/")
    assert "Statistics reset." in page.locator(".messagelist").inner_text()


def test_the_index_says_vividly_has_one_token_section_and_a_favicon(staff_page, live_server):
    page = staff_page
    page.goto(f"{live_server.url}/admin/")
    assert page.locator("#site-name").inner_text() == "Vividly admin"
    assert page.title().endswith("Vividly admin")
    sections = page.locator("#content-main .module caption").all_inner_texts()
    assert not any("knox" in section.lower() for section in sections)
    identity = page.locator("#content-main .module", has=page.locator("caption", has_text="Identity"))
    assert identity.get_by_role("link", name="Auth tokens").is_visible()
    assert identity.get_by_role("link", name="Service tokens").is_visible()
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(f"{live_server.url}{icon}").headers["content-type"] == "image/svg+xml"
    favicon = page.request.get(f"{live_server.url}/favicon.ico")
    assert favicon.ok and favicon.headers["content-type"] == "image/svg+xml"
