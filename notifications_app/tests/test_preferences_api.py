"""GET/PATCH /api/v1/me/notification-preferences: the contract's shape, partial changes, per-field refusals."""

import pytest

from notifications_app.models import ChannelSetting, RecipientPreference
from notifications_app.preference_services import recipient_unsubscribe
from vividly.accounts.tests.factories import StudentFactory

pytestmark = pytest.mark.django_db

PATH = "/api/v1/me/notification-preferences"
DEFAULTS = {"categories": {"content_updates": {"email": True}}, "digest": "off", "quiet_hours": None, "timezone": "UTC"}


@pytest.fixture
def student():
    return StudentFactory(email="Maya@Example.edu")


@pytest.fixture
def me(as_user, student):
    return as_user(student)


def patch(client, body):
    return client.patch(PATH, body, format="json")


def test_a_new_user_gets_the_defaults(me):
    response = me.get(PATH)
    assert response.status_code == 200
    assert response.json() == DEFAULTS
    assert response["Cache-Control"] == "no-store"


def test_a_patch_changes_only_what_it_names(me, student):
    body = patch(me, {"categories": {"content_updates": {"email": False}}}).json()
    assert body == {**DEFAULTS, "categories": {"content_updates": {"email": False}}}
    body = patch(me, {"digest": "daily", "timezone": "Europe/Paris"}).json()
    assert body["categories"] == {"content_updates": {"email": False}}  # kept
    assert (body["digest"], body["timezone"]) == ("daily", "Europe/Paris")
    body = patch(me, {"quiet_hours": {"start": "22:00", "end": "07:30"}}).json()
    assert body["quiet_hours"] == {"start": "22:00", "end": "07:30"} and body["digest"] == "daily"
    assert me.get(PATH).json() == body
    assert patch(me, {"quiet_hours": None}).json()["quiet_hours"] is None
    preference = RecipientPreference.objects.get(user=student)
    assert preference.address == "maya@example.edu"
    setting = ChannelSetting.objects.get(preference=preference)
    assert (setting.enabled, setting.reason) == (False, "preference")


def test_turning_a_category_back_on_clears_the_reason(me):
    patch(me, {"categories": {"content_updates": {"email": False}}})
    assert patch(me, {"categories": {"content_updates": {"email": True}}}).json() == DEFAULTS
    assert ChannelSetting.objects.get().reason == ""


def test_an_unsubscribe_before_the_account_existed_becomes_the_users(as_user):
    """The address row an unsubscribe link made is adopted by the user who has that address."""
    recipient_unsubscribe(address="leo@example.edu", category="content_updates")
    leo = StudentFactory(email="leo@example.edu")
    assert as_user(leo).get(PATH).json()["categories"] == {"content_updates": {"email": False}}
    assert RecipientPreference.objects.get().user == leo


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"categories": {"newsletters": {"email": False}}}, "categories", "Unknown category 'newsletters'"),
        ({"categories": {"transactional": {"email": False}}}, "categories", "cannot be turned off"),
        ({"categories": {"content_updates": {"pigeon": False}}}, "categories", "Unknown channel 'pigeon'"),
        ({"categories": {"content_updates": {"sms": False}}}, "categories", "not available yet"),
        ({"categories": {"content_updates": {"email": "maybe"}}}, "categories", "valid boolean"),
        ({"categories": ["content_updates"]}, "categories", "dictionary"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Unknown time zone"),
        ({"timezone": "../../etc/passwd"}, "timezone", "Unknown time zone"),
        ({"digest": "weekly"}, "digest", "valid choice"),
        ({"quiet_hours": {"start": "24:00", "end": "07:00"}}, "quiet_hours", "HH:MM"),
        ({"quiet_hours": {"start": "22:00", "end": "7:60"}}, "quiet_hours", "HH:MM"),
        ({"quiet_hours": {"start": "22:00"}}, "quiet_hours", "required"),
        ({"quiet_hours": {"start": "08:15", "end": "08:15"}}, "quiet_hours", "different times"),
        ({"quiet_hours": "22-07"}, "quiet_hours", "dictionary"),
    ],
)
def test_bad_input_is_400_per_field_and_changes_nothing(me, body, field, fragment):
    response = patch(me, body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {field}
    assert fragment in str(error["details"][field])
    assert me.get(PATH).json() == DEFAULTS


def test_one_bad_field_refuses_the_whole_patch(me):
    response = patch(me, {"digest": "daily", "timezone": "Nowhere/Atlantis"})
    assert response.status_code == 400
    assert me.get(PATH).json()["digest"] == "off"


def test_a_body_that_is_not_an_object_is_400(me):
    assert me.patch(PATH, ["digest"], format="json").status_code == 400
    assert me.patch(PATH, "{nope", content_type="application/json").json()["error"]["code"] == "malformed_json"


def test_the_schema_documents_the_endpoint(api_client):
    operations = api_client.get("/api/schema/").json()["paths"][PATH]
    assert set(operations) >= {"get", "patch"}
    assert set(operations["patch"]["responses"]) >= {"200", "400", "401"}
