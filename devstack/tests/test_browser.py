"""The browser harness itself: the distribution's Chromium logs a staff member into the admin."""

import pytest

from vividly.accounts.tests.factories import StaffFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_staff_member_logs_into_the_admin_in_a_real_browser(page, live_server):
    staff = StaffFactory(username="dana")
    staff.set_password("pw-for-the-browser-2026")
    staff.save()

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "dana")
    page.fill("#id_password", "pw-for-the-browser-2026")
    page.click("input[type=submit]")

    page.wait_for_url(f"{live_server.url}/admin/")
    assert page.locator("#user-tools").inner_text().upper().startswith("WELCOME")
    # The admin's own CSS arrived, so the page a person sees is styled, not raw HTML.
    assert page.evaluate("getComputedStyle(document.querySelector('#header')).display") != "inline"


def test_wrong_password_shows_the_admins_error(page, live_server):
    StaffFactory(username="erin")

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")

    assert page.locator(".errornote").is_visible()
    assert page.url.startswith(f"{live_server.url}/admin/login/")
