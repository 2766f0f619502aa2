"""Requests, view sessions and a video's analytics as staff see them in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from cache_app.services import cache_entry_store
from cache_app.tests.factories import metadata, triple
from delivery_app.tests.factories import ViewSessionFactory, requested
from devstack.browser import overflow
from vividly.accounts.tests.factories import ClassroomFactory, StudentFactory, TeacherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Newton's laws, told through competitive skateboarding"


def video(title: str = TITLE, **fields: str) -> dict:
    entry = triple(**fields)
    key = cache_entry_store(**entry, metadata=metadata(title=title, duration_seconds=100)).cache_key
    return {**entry, "cache_key": key}


def watched(student, content: dict, furthest: float, **fields) -> None:
    ViewSessionFactory(user=student, cache_key=content["cache_key"], furthest_position_seconds=furthest, **fields)


@pytest.fixture
def watched_video(transactional_db) -> dict:
    content = video(topic_id="newtons-laws-of-motion-and-momentum", interest="competitive skateboarding")
    students = [StudentFactory(username=f"student-with-a-long-name-{n}") for n in range(3)]
    ClassroomFactory(teacher=TeacherFactory(), students=students, name="Physics 9B")
    for student, furthest in zip(students, (100, 55, 20), strict=True):
        requested(student, content)
        watched(student, content, furthest, device_type="mobile", browser="Mobile Safari", os="iOS")
    return content


@pytest.mark.parametrize("model", ["contentrequest", "viewsession"])
def test_history_lists_show_titles_fit_1280_px_and_their_rows_cannot_be_edited(
    staff_page, live_server, watched_video, model
):
    page = staff_page
    other, student = video(title="Optics for Drummers", topic_id="optics"), StudentFactory()
    requested(student, other)
    watched(student, other, 10)
    page.goto(f"{live_server.url}/admin/delivery_app/{model}/")
    expect(page.locator("#result_list tbody tr")).to_have_count(4)
    titles = page.locator("#result_list td.field-video a").all_inner_texts()
    assert sorted(set(titles)) == ["Newton's laws, told through competitive skateboarding", "Optics for Drummers"]
    assert watched_video["cache_key"] not in page.locator("#result_list").inner_text()  # only its first characters
    assert overflow(page) == {"page": 0, "table": 0}
    assert not any("Delete" in o for o in page.locator("select[name=action] option").all_inner_texts())

    page.fill("#searchbar", "skateboarding")
    page.click("#changelist-search input[type=submit]")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)

    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_url(re.compile(r"/change/"))
    assert TITLE in page.locator("#content h2").first.inner_text()
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("a.deletelink").count() == 0


def test_the_analytics_page_shows_the_title_and_a_readable_dropoff_chart(staff_page, live_server, watched_video):
    page = staff_page
    page.goto(f"{live_server.url}/admin/delivery_app/viewsession/analytics/{watched_video['cache_key']}/")
    assert page.locator("h1").inner_text() == f"{TITLE}: analytics"
    chart = page.locator("svg#dropoff")
    assert chart.locator("text.y-tick").all_text_contents() == ["0%", "25%", "50%", "75%", "100%"]
    assert chart.locator("text.x-tick").all_text_contents() == [str(n) for n in range(11)]
    # Printed on the chart, not only in tooltips: 3 views reached 0-2 tenths, 2 up to 5, 1 to the end.
    values = chart.locator("text.value").all_text_contents()
    assert values == ["100%"] * 3 + ["67%"] * 3 + ["33%"] * 5
    assert "Mobile" in page.locator("#content").inner_text() and "mobile\n" not in page.locator("#content").inner_text()
    assert page.locator("#classrooms").get_by_text("Physics 9B").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    assert overflow(page)["page"] == 0
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    font = chart.locator("text.value").first.bounding_box()
    assert font["height"] >= 10  # still legible once the chart has shrunk to the phone's width


def test_a_video_nobody_watched_says_no_views_yet(staff_page, live_server):
    content = video(title="Optics for Drummers", topic_id="optics")
    staff_page.goto(f"{live_server.url}/admin/delivery_app/viewsession/analytics/{content['cache_key']}/")
    chart = staff_page.locator("svg#dropoff")
    assert chart.locator("#dropoff-empty").text_content() == "No views yet"
    assert chart.locator("polyline").count() == 0
