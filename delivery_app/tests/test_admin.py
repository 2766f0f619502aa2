"""Staff see requests and view sessions, filter them, and read a video's analytics page."""

import pytest

from delivery_app.tests.factories import ViewSessionFactory, requested, stored_content

pytestmark = pytest.mark.django_db


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
    assert "100% at 0%" in page and "0% at 100%" in page


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
