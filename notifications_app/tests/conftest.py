"""Fixtures of the notifications tests live in the root conftest (the SendGrid stand-in, workers).

`send` and `drain` are re-exported here only for test modules outside this app that still
import them from this file; new code imports `notifications_app.tests.support.send` and
`devstack.workers.drain`.
"""

from devstack.sendgrid_webhook import webhook_secret  # noqa: F401 - a fixture of the webhook tests
from devstack.workers import drain  # noqa: F401 - see the module docstring
from notifications_app.tests.support import send  # noqa: F401 - see the module docstring
