"""Settings for django-post_office, the peer `make bench` measures our email worker against; never the service's.

Only the bench loads them (DJANGO_SETTINGS_MODULE=benchmarks.postoffice_settings, in the
subprocesses of benchmarks/scenarios_postoffice.py): post_office is a dev requirement and is
in no INSTALLED_APPS of vividly.settings. The peer gets its own database
(POSTOFFICE_DATABASE_URL: a SQLite file beside the bench's, or `<name>_postoffice` on the
bench's PostgreSQL server) and sends through the same anymail SendGrid backend as our worker.
Left unset, THREADS_PER_PROCESS and BATCH_SIZE are post_office's own defaults (5 and 100).
"""

import secrets
from pathlib import Path

import environ

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env("VIVIDLY_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()

# Nothing here signs anything (no sessions, no links); Django only refuses an empty key.
SECRET_KEY = env("DJANGO_SECRET_KEY", default=secrets.token_urlsafe(50))
DEBUG = False
ALLOWED_HOSTS: list[str] = []
INSTALLED_APPS = ["post_office"]
USE_TZ = True
TIME_ZONE = "UTC"

DATABASES = {"default": env.db("POSTOFFICE_DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'postoffice.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The same SQLite options as the service (vividly/settings/base.py): the comparison is
    # of the two senders, not of two ways to open the file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# mail.send() runs even a ready subject and bodies through Django's template engine (an empty
# context) before it saves them: it needs a DjangoTemplates backend.
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates"}]

# mail.send() queues a row; send_queued_mail delivers it through POST_OFFICE["BACKENDS"].
EMAIL_BACKEND = "post_office.EmailBackend"
DEFAULT_FROM_EMAIL = env("POSTOFFICE_FROM_EMAIL", default="Vividly Team <noreply@vividly.edu>")
POST_OFFICE = {
    "BACKENDS": {"default": "anymail.backends.sendgrid.EmailBackend"},
    "DEFAULT_PRIORITY": "medium",
}
for _name in ("THREADS_PER_PROCESS", "BATCH_SIZE"):
    if (_value := env.int(f"POSTOFFICE_{_name}", default=0)) > 0:
        POST_OFFICE[_name] = _value
ANYMAIL = {
    "SENDGRID_API_KEY": env("SENDGRID_API_KEY", default=""),
    "SENDGRID_API_URL": env("SENDGRID_API_URL", default="https://api.sendgrid.com/v3/"),
    # The service's timeout (vividly/settings/base.py), so a stalled call costs both the same.
    "REQUESTS_TIMEOUT": (3.0, 10.0),
    # What our worker sets on each message (notifications_app.sending.build_message), as far as
    # post_office lets a message carry it: tracking off (PRIVACY.md), the template as the tag.
    # Only the per-message metadata (our notification_id) has no way through post_office.
    "SEND_DEFAULTS": {"track_opens": False, "track_clicks": False, "tags": ["content_ready"]},
}
# As in the service: anymail warns on every start that SendGrid is no longer official.
SILENCED_SYSTEM_CHECKS = ["anymail.W003"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
