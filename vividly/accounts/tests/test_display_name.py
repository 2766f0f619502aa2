"""Users' display names: created whole, carried over from first and last names, edited in the admin."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from vividly.accounts.models import Role, User
from vividly.accounts.services import user_create
from vividly.accounts.tests.factories import StaffFactory, StudentFactory
from vividly.errors import InvalidInput

BEFORE = [("accounts", "0002_service_token_scopes_expiry")]
AFTER = [("accounts", "0003_user_display_name")]


@pytest.mark.django_db
def test_user_create_keeps_the_name_as_written_on_one_line():
    user, _ = user_create(username="kim", role=Role.STUDENT, display_name=" Kim\tJi-woo\r\n")
    assert User.objects.get(pk=user.pk).display_name == "Kim Ji-woo"


@pytest.mark.django_db
def test_user_create_refuses_a_name_longer_than_the_field():
    with pytest.raises(InvalidInput) as refused:
        user_create(username="kim", role=Role.STUDENT, display_name="x" * 151)
    assert set(refused.value.details) == {"display_name"}


@pytest.mark.django_db
def test_staff_edit_a_display_name_in_the_admin():
    student = StudentFactory(username="alice")
    client = Client()
    client.force_login(StaffFactory())
    page = client.get(f"/admin/accounts/user/{student.pk}/change/").content.decode()
    assert 'name="display_name"' in page
    form = {
        "username": "alice",
        "email": student.email,
        "role": Role.STUDENT,
        "display_name": "Alice Smith",
        "is_active": "on",
        "date_joined_0": student.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": student.date_joined.strftime("%H:%M:%S"),
    }
    response = client.post(f"/admin/accounts/user/{student.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=student.pk).display_name == "Alice Smith"


@pytest.mark.django_db(transaction=True)
def test_migrating_carries_first_and_last_names_over():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_user = executor.loader.project_state(BEFORE).apps.get_model("accounts", "User")
    old_user.objects.create(username="zoe", first_name="Zoe", last_name="Quinn")
    old_user.objects.create(username="ng", first_name="", last_name="Ng")
    old_user.objects.create(username="anon")

    executor = MigrationExecutor(connection)  # a fresh graph, as a new `migrate` run has
    executor.migrate(AFTER)

    names = dict(User.objects.values_list("username", "display_name"))
    assert names == {"zoe": "Zoe Quinn", "ng": "Ng", "anon": ""}
