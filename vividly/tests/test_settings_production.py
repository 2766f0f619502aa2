"""The production settings refuse to fail open: a guessable key, mail that is never sent, a spoofable scheme."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def production(tmp_path: Path, *command: str, **environment: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SENDGRID_", "DATABASE_URL", "VIVIDLY_", "TRUSTED_PROXY"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="vividly.settings.production",
        DJANGO_ALLOWED_HOSTS="vividly.example.edu",
        VIVIDLY_DATA_DIR=str(tmp_path),
    )
    env.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    env.update(environment)
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def setting(tmp_path: Path, name: str, **environment: str) -> str:
    script = f"import django; django.setup(); from django.conf import settings; print(repr(settings.{name}))"
    result = production(tmp_path, "-c", script, **environment)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "key",
    [
        "dev-only-insecure-key-never-use-in-production-0c4f6a1e9b2d",  # the local settings' default
        "dev-only-" + "x" * 60,
        "short-but-random-5d0c9e1b7a3f2e64",  # random, but 33 characters
    ],
)
def test_a_guessable_secret_key_is_refused(tmp_path, key):
    result = production(tmp_path, "manage.py", "check", DJANGO_SECRET_KEY=key)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be a random value" in result.stderr


def test_mail_written_to_files_fails_the_deploy_check(tmp_path):
    result = production(tmp_path, "manage.py", "check", "--deploy")
    assert result.returncode != 0
    assert "vividly.E001" in result.stdout + result.stderr


def test_mail_through_sendgrid_passes_it(tmp_path):
    result = production(
        tmp_path,
        "manage.py",
        "check",
        "--deploy",
        SENDGRID_API_KEY="SG.test",
        SENDGRID_WEBHOOK_SECRET="sendgrid:secret",
    )
    assert "vividly.E001" not in result.stdout + result.stderr


def test_x_forwarded_proto_is_believed_only_behind_a_declared_proxy(tmp_path):
    """Without a proxy, any client could send X-Forwarded-Proto: https and be taken for HTTPS."""
    assert setting(tmp_path, "SECURE_PROXY_SSL_HEADER") == "None"
    behind_proxy = setting(tmp_path, "SECURE_PROXY_SSL_HEADER", TRUSTED_PROXY_COUNT="1")
    assert behind_proxy == "('HTTP_X_FORWARDED_PROTO', 'https')"
