"""Staff see requests and view sessions, filter them, and read a video's analytics page."""

import re

import pytest

from cache_app.selectors import cache_entry_title
from delivery_app.models import ContentRequest, ViewSession
from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content

pytestmark = pytest.mark.django_db


def title(content: dict) -> str:
    return cache_entry_title(cache_key=content["cache_key"])


@pytest.fixture
def staff_client(client, school):
    client.force_login(school["staff"])
    return client


def test_request_and_view_changelists_with_filters(staff_client, school):
    content = stored_content()
    requested(school["student_a"], content)
    ViewSessionFactory(user=school["student_a"], cache_key=content["cache_key"], device_type="mobile")
    assert staff_client.get("/admin/delivery_app/contentrequest/?status__exact=ready").status_code == 200
    response = staff_client.get("/admin/delivery_app/viewsession/?device_type__exact=mobile&completed__exact=0")
    assert response.status_code == 200 and school["student_a"].username.encode() in response.content


def test_analytics_page_draws_the_dropoff_curve(staff_client, school):
    content = stored_content()
    ViewSessionFactory(user=school["student_a"], cache_key=content["cache_key"], furthest_position_seconds=50)
    response = staff_client.get(f"/admin/delivery_app/viewsession/analytics/{content['cache_key']}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<svg" in page and "<polyline" in page and page.count("<circle") == 11
    # Each tenth's share is printed on the chart, not only in a tooltip: 50 s of 100 s reached.
    assert re.findall(r'<text class="value"[^>]*>([^<]+)</text>', page) == ["100%"] * 6 + ["0%"] * 5
    assert re.findall(r'<text class="y-tick"[^>]*>([^<]+)</text>', page) == ["0%", "25%", "50%", "75%", "100%"]
    assert re.findall(r'<text class="x-tick"[^>]*>([^<]+)</text>', page) == [str(n) for n in range(11)]
    assert "Position in the video (tenths)" in page and "No views yet" not in page


def test_analytics_page_without_views_says_so_instead_of_a_flat_line(staff_client):
    content = stored_content()
    page = staff_client.get(f"/admin/delivery_app/viewsession/analytics/{content['cache_key']}/").content.decode()
    assert 'id="dropoff-empty"' in page and "<polyline" not in page


def test_history_rows_are_read_only_and_show_the_videos_title(staff_client, school):
    content = stored_content()
    request = requested(school["student_a"], content)
    view = ViewSessionFactory(user=school["student_a"], cache_key=content["cache_key"])
    for url in (
        f"/admin/delivery_app/contentrequest/{request.pk}/change/",
        f"/admin/delivery_app/viewsession/{view.pk}/change/",
    ):
        page = staff_client.get(url).content.decode()
        assert 'name="_save"' not in page and "/delete/" not in page
        assert title(content) in page
        assert staff_client.post(url.replace("/change/", "/delete/"), {"post": "yes"}).status_code == 403
    for changelist in ("/admin/delivery_app/contentrequest/", "/admin/delivery_app/viewsession/"):
        page = staff_client.get(changelist).content.decode()
        assert title(content) in page and "delete_selected" not in page
    assert ContentRequest.objects.filter(pk=request.pk).exists() and ViewSession.objects.filter(pk=view.pk).exists()


def test_admin_search_finds_requests_and_views_by_the_videos_title(staff_client, school):
    wanted, other = stored_content(), stored_content()
    for content in (wanted, other):
        requested(school["student_a"], content)
        ViewSessionFactory(user=school["student_a"], cache_key=content["cache_key"])
    for changelist in ("/admin/delivery_app/contentrequest/", "/admin/delivery_app/viewsession/"):
        response = staff_client.get(changelist, {"q": title(wanted).lower()})
        keys = {row.cache_key for row in response.context["cl"].result_list}
        assert keys == {wanted["cache_key"]}


def test_analytics_page_shows_the_verified_completion_rate_beside_the_claimed_one(staff_client, school):
    content = stored_content()
    key = content["cache_key"]
    ViewSessionFactory(user=school["student_a"], cache_key=key, completed=True, watched_seconds=3)
    ViewSessionFactory(user=school["student_a"], cache_key=key, watched_seconds=95)
    page = staff_client.get(f"/admin/delivery_app/viewsession/analytics/{key}/").content.decode()
    assert "Completion rate</th><td>50.0 % marked complete" in page
    assert "Verified completion rate</th><td>50.0 % watched" in page


def test_analytics_page_of_unknown_content_says_so(staff_client):
    response = staff_client.get(f"/admin/delivery_app/viewsession/analytics/{'a' * 64}/")
    assert response.status_code == 200 and b"errornote" in response.content


def test_analytics_page_has_a_table_per_classroom_beside_the_chart(staff_client, school):
    content = stored_content()
    key = content["cache_key"]
    classroom = school["teacher_a"].classrooms.get()
    requested(school["student_a"], content)
    requested(school["student_b"], content)  # teacher B's class: asked, nobody watched yet
    ViewSessionFactory(user=school["student_a"], cache_key=key, completed=True, watched_seconds=95)
    ViewSessionFactory(user=school["student_a"], cache_key=key, watched_seconds=10)
    page = staff_client.get(f"/admin/delivery_app/viewsession/analytics/{key}/").content.decode()
    table = page[page.index('<table id="classrooms">') :]
    table = table[: table.index("</table>")]
    other = school["teacher_b"].classrooms.get()
    assert (
        f"<tr><td>{classroom.name}</td><td>{school['teacher_a'].username}</td><td>1</td><td>1</td><td>2</td>"
        "<td>50.0 %</td><td>50.0 %</td></tr>" in table
    )
    assert f"<tr><td>{other.name}</td><td>{school['teacher_b'].username}</td><td>1</td><td>0</td><td>0</td>" in table


def test_analytics_page_without_any_classroom_says_so(staff_client, school):
    content = stored_content()
    page = staff_client.get(f"/admin/delivery_app/viewsession/analytics/{content['cache_key']}/").content.decode()
    assert "No classroom's students asked for or watched this video." in page
