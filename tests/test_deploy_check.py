"""`manage.py check --deploy` on the production settings: clean as configured, and not blind."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def deploy_check(tmp_path: Path, *, deploy: bool = True, **environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SENDGRID_", "DATABASE_URL", "VIVIDLY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="vividly.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="vividly.example.edu",
        VIVIDLY_DATA_DIR=str(tmp_path),
        **environment,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", *(["--deploy", "--fail-level", "WARNING"] if deploy else [])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    # As .ci/run checks them, here too so that `make test` alone notices a regression.
    result = deploy_check(tmp_path, SENDGRID_API_KEY="SG.test", SENDGRID_WEBHOOK_SECRET="sendgrid:secret")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_catches_an_unsafe_production(tmp_path):
    """Debug on, HSTS off and SendGrid sending with an open tracking webhook: each is reported."""
    result = deploy_check(tmp_path, DJANGO_DEBUG="on", DJANGO_SECURE_HSTS_SECONDS="0", SENDGRID_API_KEY="SG.test")
    assert result.returncode != 0
    for expected in ("security.W018", "security.W004", "notifications.E001"):
        assert expected in result.stdout + result.stderr


def test_production_refuses_to_start_with_sendgrid_on_and_the_webhook_open(tmp_path):
    """An Error, not a Warning: the plain checks every command runs (migrate, runserver) fail too."""
    result = deploy_check(tmp_path, deploy=False, SENDGRID_API_KEY="SG.test")
    assert result.returncode != 0
    assert "ERRORS:" in result.stderr and "notifications.E001" in result.stderr
    for protected in ({"SENDGRID_WEBHOOK_SECRET": "sendgrid:secret"}, {"SENDGRID_WEBHOOK_VERIFICATION_KEY": "MFkw"}):
        result = deploy_check(tmp_path, deploy=False, SENDGRID_API_KEY="SG.test", **protected)
        assert result.returncode == 0, result.stdout + result.stderr
