"""The one-click unsubscribe link (RFC 8058): POST unsubscribes at once with no cookie, no CSRF token and no
login; GET only shows the page; a tampered link is a 400 page and changes nothing."""

import pytest
from django.core import signing
from django.test import Client

from notifications_app.models import ChannelSetting, RecipientPreference
from notifications_app.preference_selectors import opt_out_reason, preference_of_address
from notifications_app.unsubscribe import unsubscribe_token, unsubscribe_url
from vividly.accounts.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

TO = "maya@example.edu"
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def browserless():
    """A client as a mail provider's one-click POST is: no cookies, and CSRF checked like in production."""
    return Client(enforce_csrf_checks=True)


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost:8000")


def link(address: str = TO, category: str = "content_updates") -> str:
    return path_of(unsubscribe_url(address=address, category=category))


def one_click(client: Client, path: str, body: str = ONE_CLICK):
    return client.post(path, body, content_type="application/x-www-form-urlencoded")


def unsubscribed(address: str = TO) -> str | None:
    return opt_out_reason(preference_of_address(address), "content_updates")


def test_the_link_is_on_this_service_and_names_its_address_and_category_only_signed():
    url = unsubscribe_url(address=TO, category="content_updates")
    assert url.startswith("http://localhost:8000/email/unsubscribe/")
    token = url.rsplit("/", 1)[1]
    assert signing.loads(token, salt="notifications_app.unsubscribe") == [TO, "content_updates"]
    with pytest.raises(signing.BadSignature):
        signing.loads(token, salt="another.salt")


def test_the_one_click_post_unsubscribes_at_once(browserless):
    response = one_click(browserless, link())
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not response.cookies
    assert unsubscribed() == "unsubscribed"
    # An address with no user gets a row of its own, keyed by the address.
    assert RecipientPreference.objects.get().address == TO and RecipientPreference.objects.get().user is None


def test_repeating_it_is_harmless(browserless):
    for _ in range(3):
        assert one_click(browserless, link()).status_code == 200
    assert ChannelSetting.objects.count() == 1 and unsubscribed() == "unsubscribed"


def test_a_multipart_one_click_body_is_accepted_too(browserless):
    response = browserless.post(link(), {"List-Unsubscribe": "One-Click"})  # Django's test client: multipart
    assert response.status_code == 200 and unsubscribed() == "unsubscribed"


@pytest.mark.parametrize("body", ["", "List-Unsubscribe=Maybe", "unsubscribe=1", "List-Unsubscribe=One-Click-ish"])
def test_a_post_with_another_body_is_400_and_changes_nothing(browserless, body):
    response = one_click(browserless, link(), body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert unsubscribed() is None


def test_get_shows_the_page_and_never_unsubscribes(client):
    response = client.get(link())
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "Vividly Team" in page  # the sender's name
    assert "emails telling you that a video you asked for is ready" in page  # what stops
    assert '<form method="post">' in page and 'name="List-Unsubscribe" value="One-Click"' in page
    assert "m•••@example.edu" in page and TO not in page
    assert "Change all my email preferences" not in page  # no user has this address
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert unsubscribed() is None and not RecipientPreference.objects.exists()


def test_the_page_links_to_the_apps_preferences_when_the_address_is_a_users(client, settings):
    settings.APP_PREFERENCES_URL = "https://app.vividly.edu/settings/notifications"
    StudentFactory(email=TO)
    page = client.get(link()).content.decode()
    assert '<a href="https://app.vividly.edu/settings/notifications">Change all my email preferences</a>' in page


def tampered(token: str) -> list[str]:
    payload, signature = token.rsplit(":", 1)
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        f"{payload}:{flipped}",  # another signature
        token[: len(token) // 2],  # cut short
        token[:-1],  # one character short
        unsubscribe_token(address="leo@example.edu", category="content_updates").rsplit(":", 1)[0] + ":" + signature,
        "not-a-token",
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_or_truncated_link_is_a_400_page_and_changes_nothing(browserless, method):
    token = unsubscribe_token(address=TO, category="content_updates")
    for bad in tampered(token):
        path = f"/email/unsubscribe/{bad}"
        response = one_click(browserless, path) if method == "post" else browserless.get(path)
        assert response.status_code == 400, bad
        assert "This unsubscribe link does not work" in response.content.decode()
    assert not RecipientPreference.objects.exists()


def test_a_link_signed_for_another_purpose_is_refused(browserless):
    forged = signing.dumps([TO, "content_updates"], salt="some.other.purpose", compress=True)
    assert one_click(browserless, f"/email/unsubscribe/{forged}").status_code == 400
    assert unsubscribed() is None


def test_transactional_email_cannot_be_unsubscribed_from(browserless):
    response = one_click(browserless, link(category="transactional"))
    assert response.status_code == 400 and not RecipientPreference.objects.exists()


def test_another_method_is_405(browserless):
    assert browserless.put(link()).status_code == 405


def test_a_users_address_unsubscribes_the_users_own_preferences(browserless, as_user):
    maya = StudentFactory(email="Maya@Example.edu")
    assert one_click(browserless, link()).status_code == 200
    preferences = as_user(maya).get("/api/v1/me/notification-preferences").json()
    assert preferences["categories"] == {"content_updates": {"email": False}}
    assert RecipientPreference.objects.get().user == maya
