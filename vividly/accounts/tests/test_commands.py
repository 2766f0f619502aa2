"""create_api_user, create_service_token and enroll, as operators run them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from devstack.api_clients import client_with
from vividly.accounts.models import Classroom, Enrollment, Role, ServiceToken, User
from vividly.accounts.tests.factories import StudentFactory, TeacherFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


@pytest.mark.parametrize("role", ["student", "teacher", "admin"])
def test_create_api_user_prints_the_token_alone_on_the_last_line(role):
    lines = run("create_api_user", "zoe", "--role", role, "--email", "zoe@example.edu", "--password", "pw")
    user = User.objects.get(username="zoe")
    assert lines[-1] == Token.objects.get(user=user).key
    assert user.role == role and user.email == "zoe@example.edu" and user.check_password("pw")
    assert user.is_staff is (role == Role.ADMIN)


def test_create_api_user_refuses_a_duplicate():
    run("create_api_user", "zoe", "--role", "student")
    with pytest.raises(CommandError, match="already exists"):
        run("create_api_user", "zoe", "--role", "student")


def test_create_api_user_without_password_cannot_log_in_but_has_a_token():
    lines = run("create_api_user", "nopw", "--role", "teacher")
    assert not User.objects.get(username="nopw").has_usable_password()
    assert len(lines[-1]) == 40


def test_create_service_token_prints_a_working_key_once():
    lines = run("create_service_token", "pipeline")
    key = lines[-1]
    assert key.startswith("vsk_")
    assert ServiceToken.objects.get(name="pipeline").prefix == key[:10]
    assert client_with(f"Bearer {key}").get("/internal/v1/probe").status_code == 200
    with pytest.raises(CommandError, match="already exists"):
        run("create_service_token", "pipeline")


def test_enroll_creates_the_classroom_and_is_idempotent():
    teacher, student = TeacherFactory(username="t1"), StudentFactory(username="s1")
    run("enroll", "--teacher", "t1", "--student", "s1", "--classroom", "Biology")
    run("enroll", "--teacher", "t1", "--student", "s1", "--classroom", "Biology")
    classroom = Classroom.objects.get(teacher=teacher, name="Biology")
    assert list(classroom.students.all()) == [student]
    assert Enrollment.objects.count() == 1


def test_enroll_checks_roles_and_names():
    TeacherFactory(username="t1")
    StudentFactory(username="s1")
    with pytest.raises(CommandError, match="not a teacher"):
        run("enroll", "--teacher", "s1", "--student", "s1")
    with pytest.raises(CommandError, match="No user"):
        run("enroll", "--teacher", "t1", "--student", "ghost")
