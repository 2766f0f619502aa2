"""Browser tests: a headless Chromium from the distribution, driven by Playwright, on pytest-django's live server.

Loaded with `-p devstack.browser` (pyproject's addopts). Playwright is told where the
distribution's `chromium` is (`executable_path`), so nothing is downloaded. A machine with
no Chromium skips the `browser` tests with a message saying how to install it; `.ci/run`
installs it first, so CI never skips them. Every test's page is screenshotted into
`var/screenshots/<test>.png` when it ends (kept as a CI artefact, never committed).
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

SCREENSHOTS = Path(__file__).resolve().parent.parent / "var" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> str | None:
    """Return the distribution's Chromium, or the one CHROMIUM_PATH names."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium():
    """Yield one headless Chromium for the whole run (pages are cheap, browsers are not)."""
    path = chromium_path()
    if path is None:
        pytest.skip(
            "BROWSER TESTS SKIPPED: no chromium on PATH. Install it (apt-get install chromium) "
            "or set CHROMIUM_PATH; .ci/run installs it."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which makes Django
    # refuse ORM calls from the test ("async context"); the test itself is still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request) -> Iterator:
    """Yield a fresh page (own cookies) at 1280 px wide; screenshot it when the test ends."""
    context = chromium.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "browser: drives a headless Chromium through Playwright")


ADMIN_PASSWORD = "pw-for-the-admin-browser-2026"


@pytest.fixture
def staff_page(page, live_server, transactional_db):
    """Yield the page logged into the admin as a staff member (the `admin` role, not a superuser)."""
    from vividly.accounts.tests.factories import StaffFactory

    staff = StaffFactory(username="olive")
    staff.set_password(ADMIN_PASSWORD)
    staff.save()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    return page


def overflow(page) -> dict:
    """Return how far the page and its changelist table reach past the window (0 when they fit)."""
    return page.evaluate(
        """() => {
          const root = document.documentElement;
          const table = document.querySelector('#result_list');
          return {
            page: Math.max(0, root.scrollWidth - root.clientWidth),
            // The admin lets the table scroll inside its box: it must fit that box, not only the page.
            table: table ? Math.max(0, table.scrollWidth - table.parentElement.clientWidth,
                                    Math.ceil(table.getBoundingClientRect().right) - root.clientWidth) : 0,
          };
        }"""
    )
