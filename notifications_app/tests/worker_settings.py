"""Settings for `rqworker` subprocesses started by the tests: the test settings, on the
test run's database, sending to the SendGrid stand-in named in the environment."""

import os

from vividly.settings.test import *  # noqa: F403 - a settings module extends another
from vividly.settings.test import ANYMAIL, DATABASES, env

DATABASES = {"default": {**DATABASES["default"], **env.db("WORKER_DATABASE_URL")}}
EMAIL_BACKEND = "anymail.backends.sendgrid.EmailBackend"
ANYMAIL = {
    **ANYMAIL,
    "SENDGRID_API_KEY": os.environ["SENDGRID_API_KEY"],
    "SENDGRID_API_URL": os.environ["SENDGRID_API_URL"],
    "REQUESTS_TIMEOUT": (1.0, 30.0),
}
EMAIL_SWEEP_INTERVAL_SECONDS = env.int("EMAIL_SWEEP_INTERVAL_SECONDS", default=60)
EMAIL_STUCK_AFTER_SECONDS = env.int("EMAIL_STUCK_AFTER_SECONDS", default=300)
DIGEST_RUN_INTERVAL_SECONDS = env.int("DIGEST_RUN_INTERVAL_SECONDS", default=60)
RQ_MAINTENANCE_INTERVAL_SECONDS = env.int("RQ_MAINTENANCE_INTERVAL_SECONDS", default=30)
