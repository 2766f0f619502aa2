"""seed_demo: working demo credentials, and only on a developer's settings."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from devstack.api_clients import client_with
from vividly.accounts.models import Classroom, ServiceToken, User

pytestmark = [pytest.mark.django_db, pytest.mark.urls("vividly.tests.urls")]


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_seed_demo_creates_working_credentials_and_reruns_cleanly(tmp_path):
    output = tmp_path / "demo.txt"
    run("seed_demo", "--output", str(output))
    lines = run("seed_demo", "--output", str(output))
    text = output.read_text()
    variables = dict(line.strip().split("=", 1) for line in lines if line.strip().startswith(("ALICE=", "SERVICE=")))
    assert client_with(f"Bearer {variables['SERVICE']}").get("/internal/v1/probe").status_code == 200
    assert client_with(f"Token {variables['ALICE']}").get("/api/v1/probe").json() == {"caller": "alice"}
    assert "curl" in text
    assert User.objects.filter(username__in=["admin", "ms_rivera", "alice", "bob"]).count() == 4
    # Emails greet the demo users by name, never by their usernames.
    assert User.objects.get(username="alice").display_name == "Alice Smith"
    assert not User.objects.filter(display_name="").exists()
    assert Classroom.objects.get(name="Physics 101").students.count() == 2
    assert ServiceToken.objects.filter(name="demo-content-pipeline").count() == 1


def test_a_rerun_names_users_seeded_before_names_and_keeps_names_edited_since():
    run("seed_demo")
    User.objects.filter(username="bob").update(display_name="")
    User.objects.filter(username="alice").update(display_name="Alice S.")
    run("seed_demo")
    assert User.objects.get(username="bob").display_name == "Bob Jones"
    assert User.objects.get(username="alice").display_name == "Alice S."


def test_seed_demo_refuses_outside_a_developers_settings(settings):
    settings.DEVSTACK = False
    with pytest.raises(CommandError, match="only with the local or test settings"):
        run("seed_demo")
    assert not User.objects.filter(username="admin").exists()


def test_production_settings_do_not_install_the_demo_app():
    import subprocess
    import sys

    code = "import django; django.setup(); from django.apps import apps; print(apps.is_installed('devstack.demo'))"
    env = {
        "DJANGO_SETTINGS_MODULE": "vividly.settings.production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "example.edu",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
