"""The admin's sign-in and identity pages: lockout (django-axes), 8-hour sessions, no privilege escalation, no keys."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from devstack.api_clients import client_with
from vividly.accounts.models import User
from vividly.accounts.tests.factories import StaffFactory, StudentFactory, service_token, user_token
from vividly.privacy.models import AccessLogEntry

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"
LOGIN = "/admin/login/?next=/admin/"


def sign_in(client: Client, username: str, password: str, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def test_the_admin_login_locks_a_username_out_after_five_failures_whatever_the_address():
    staff = StaffFactory()
    answers = [sign_in(Client(), staff.username, "wrong", REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(5)]
    assert answers == [200] * 4 + [429]  # the form again with its error, then the lockout
    locked = sign_in(Client(), staff.username, PASSWORD, REMOTE_ADDR="198.51.100.99")
    assert locked.status_code == 429
    assert "_auth_user_id" not in Client().session


def test_the_admin_lockout_cools_off(settings):
    staff = StaffFactory()
    for _ in range(5):
        sign_in(Client(), staff.username, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(Client(), staff.username, PASSWORD).status_code == 302


def test_axes_counts_the_address_the_trusted_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    sign_in(Client(), "nobody", "wrong", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.4")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.4"]


def test_admin_sessions_end_after_eight_hours():
    client = Client()
    assert sign_in(client, StaffFactory().username, PASSWORD).status_code == 302
    assert client.session.get_expiry_age() == 8 * 60 * 60


def test_staff_cannot_grant_themselves_superuser_or_permissions():
    staff = StaffFactory()
    client = Client()
    client.force_login(staff)
    page = client.get(f"/admin/accounts/user/{staff.pk}/change/").content.decode()
    for field in ("is_superuser", "groups", "user_permissions", "is_staff"):
        assert f'name="{field}"' not in page, field
    superuser = User.objects.create_superuser("root", "root@example.edu", "a long root passphrase")
    client.force_login(superuser)
    assert 'name="is_superuser"' in client.get(f"/admin/accounts/user/{staff.pk}/change/").content.decode()


def test_the_token_admin_shows_no_key_and_deleting_a_token_logs_it_out():
    student = StudentFactory()
    key = user_token(student)
    token = AuthToken.objects.get(user=student)
    client = Client()
    client.force_login(StaffFactory())
    listing = client.get("/admin/knox/authtoken/").content.decode()
    # Only the digest exists (it is the row's id in the links); the key is nowhere.
    assert student.username in listing and key not in listing
    assert client.get("/admin/knox/authtoken/add/").status_code == 403
    api = client_with(f"Token {key}")
    assert api.get("/api/v1/content/requests").status_code == 200
    response = client.post(f"/admin/knox/authtoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert api.get("/api/v1/content/requests").status_code == 401


def test_the_service_token_admin_shows_scopes_and_expiry():
    service_token("mailer", scopes=["notify:send"], expires_at=timezone.now() + timedelta(days=2))
    client = Client()
    client.force_login(StaffFactory())
    listing = client.get("/admin/accounts/servicetoken/").content.decode()
    assert "notify:send" in listing and "Expires at" in listing


def notifications():
    """The notifications app's model, by name: the core imports no app (.importlinter)."""
    return apps.get_model("notifications_app", "Notification").objects


@pytest.mark.django_db
def test_deleting_a_user_in_the_admin_is_the_privacy_erasure(django_capture_on_commit_callbacks):
    student = StudentFactory(email="maya@example.edu")
    key = user_token(student)
    notifications().create(to="maya@example.edu", template="welcome_student", context={})
    staff = StaffFactory()
    client = Client()
    client.force_login(staff)
    api = client_with(f"Token {key}")
    assert api.get("/api/v1/content/requests").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/accounts/user/{student.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=student.pk).exists()
    # The erasure's work, not only the row: the emails to their address and an access-log entry.
    assert not notifications().filter(to="maya@example.edu").exists()
    assert AccessLogEntry.objects.filter(actor=staff.username, action="erasure").exists()
    assert api.get("/api/v1/content/requests").status_code == 401


@pytest.mark.django_db
def test_the_bulk_user_delete_erases_each_user():
    students = [StudentFactory(email=f"s{n}@example.edu") for n in range(2)]
    for student in students:
        notifications().create(to=student.email, template="welcome_student", context={})
    client = Client()
    client.force_login(StaffFactory())
    bulk = {"action": "delete_selected", "_selected_action": [s.pk for s in students], "post": "yes"}
    client.post("/admin/accounts/user/", bulk)
    assert not User.objects.filter(pk__in=[s.pk for s in students]).exists()
    assert not notifications().exists()


@pytest.mark.django_db
def test_staff_cannot_give_anyone_the_admin_role():
    student = StudentFactory()
    client = Client()
    client.force_login(StaffFactory())
    page = client.get(f"/admin/accounts/user/{student.pk}/change/").content.decode()
    assert 'name="role"' not in page
    add = client.get("/admin/accounts/user/add/").content.decode()
    assert 'value="teacher"' in add and 'value="admin"' not in add


@pytest.mark.django_db
def test_service_tokens_are_revoked_not_deleted():
    token, _ = service_token("mailer")
    client = Client()
    client.force_login(StaffFactory())
    assert client.post(f"/admin/accounts/servicetoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "delete_selected" not in client.get("/admin/accounts/servicetoken/").content.decode()
    client.post("/admin/accounts/servicetoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.django_db
def test_the_token_admin_shows_neither_key_nor_prefix_and_the_bulk_delete_logs_out():
    student = StudentFactory()
    key = user_token(student)
    token = AuthToken.objects.get(user=student)
    client = Client()
    client.force_login(StaffFactory())
    detail = client.get(f"/admin/knox/authtoken/{token.pk}/change/").content.decode()
    assert key not in detail and f">{token.token_key}<" not in detail
    api = client_with(f"Token {key}")
    assert api.get("/api/v1/content/requests").status_code == 200
    client.post("/admin/knox/authtoken/", {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"})
    assert api.get("/api/v1/content/requests").status_code == 401
