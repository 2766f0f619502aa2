"""Fixtures of the notifications tests (the SendGrid stand-in and workers are in the root conftest)."""

from devstack.sendgrid_webhook import webhook_secret  # noqa: F401 - a fixture of the webhook tests
