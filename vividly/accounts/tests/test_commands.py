"""create_api_user, create_service_token and enroll, as operators run them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from devstack.api_clients import client_with
from vividly.accounts.models import Classroom, Enrollment, Role, Scope, ServiceToken, User
from vividly.accounts.tests.factories import StudentFactory, TeacherFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]

STRONG = "correct horse battery staple"


def run(*args: str, stdin: str | None = None) -> list[str]:
    out = StringIO()
    options = {"stdin": StringIO(stdin)} if stdin is not None else {}
    call_command(*args, stdout=out, **options)
    return out.getvalue().strip().splitlines()


@pytest.mark.parametrize("role", ["student", "teacher", "admin"])
def test_create_api_user_prints_the_token_alone_on_the_last_line(role):
    lines = run(
        "create_api_user", "zoe", "--role", role, "--email", "zoe@example.edu", "--name", "Zoe Quinn",
        "--password-stdin", stdin=STRONG + "\n",
    )  # fmt: skip
    user = User.objects.get(username="zoe")
    assert client_with(f"Token {lines[-1]}").get("/api/v1/probe").json() == {"caller": "zoe"}
    assert user.role == role and user.email == "zoe@example.edu" and user.check_password(STRONG)
    assert user.display_name == "Zoe Quinn"
    assert user.is_staff is (role == Role.ADMIN)
    assert user.is_superuser is False


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("María José García Márquez", "María José García Márquez"),  # not a first and a last name
        ("Ng", "Ng"),
        ("  Alice \n Smith ", "Alice Smith"),  # a pasted newline must not reach a greeting
        ("", ""),
    ],
)
def test_create_api_user_keeps_the_name_whole(given, kept):
    run("create_api_user", "zoe", "--role", "student", "--name", given)
    assert User.objects.get(username="zoe").display_name == kept


def test_create_api_user_refuses_a_name_too_long_for_the_field():
    with pytest.raises(CommandError, match="display_name"):
        run("create_api_user", "zoe", "--role", "student", "--name", "x" * 151)
    assert not User.objects.filter(username="zoe").exists()


def test_create_api_user_reads_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("VIVIDLY_NEW_PASSWORD", STRONG)
    run("create_api_user", "zoe", "--role", "student")
    assert User.objects.get(username="zoe").check_password(STRONG)


def test_create_api_user_password_on_argv_still_works_with_a_warning():
    err = StringIO()
    call_command("create_api_user", "zoe", "--role", "student", "--password", STRONG, stdout=StringIO(), stderr=err)
    assert User.objects.get(username="zoe").check_password(STRONG)
    assert "--password is visible" in err.getvalue()


@pytest.mark.parametrize("weak", ["pw", "password1234", "12345678901234", "zoe-quinn@example.edu"])
def test_create_api_user_refuses_a_weak_password(weak):
    with pytest.raises(CommandError, match="password"):
        run("create_api_user", "zoe", "--role", "student", "--email", "zoe-quinn@example.edu", "--password-stdin",
            stdin=weak)  # fmt: skip
    assert not User.objects.filter(username="zoe").exists()


def test_create_api_user_refuses_a_duplicate():
    run("create_api_user", "zoe", "--role", "student")
    with pytest.raises(CommandError, match="already exists"):
        run("create_api_user", "zoe", "--role", "student")


def test_create_api_user_without_password_cannot_log_in_but_has_a_token():
    lines = run("create_api_user", "nopw", "--role", "teacher")
    assert not User.objects.get(username="nopw").has_usable_password()
    assert len(lines[-1]) == 64


def test_create_service_token_prints_a_working_key_once():
    lines = run("create_service_token", "pipeline")
    key = lines[-1]
    assert key.startswith("vsk_")
    token = ServiceToken.objects.get(name="pipeline")
    assert token.prefix == key[:10]
    assert sorted(token.scopes) == sorted(Scope.values) and token.expires_at is None and token.send_quota is None
    assert client_with(f"Bearer {key}").get("/internal/v1/probe").status_code == 200
    with pytest.raises(CommandError, match="already exists"):
        run("create_service_token", "pipeline")


def test_create_service_token_with_scopes_expiry_and_quota():
    run("create_service_token", "mailer", "--scope", "notify:send", "--scope", "notify:read",
        "--expires-in-days", "30", "--send-quota", "500")  # fmt: skip
    token = ServiceToken.objects.get(name="mailer")
    assert token.scopes == ["notify:read", "notify:send"] and token.send_quota == 500
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


@pytest.mark.parametrize("args", [["--scope", "root"], ["--expires-in-days", "0"]])
def test_create_service_token_refuses_bad_options(args):
    with pytest.raises((CommandError, SystemExit)):
        run("create_service_token", "bad", *args)
    assert not ServiceToken.objects.exists()


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
