"""The admin's sign-in and identity pages: lockout (django-axes), 8-hour sessions, no privilege escalation, no keys."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken

from devstack.api_clients import client_with
from vividly.accounts.models import User
from vividly.accounts.tests.factories import StaffFactory, StudentFactory, service_token, user_token

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
