"""Production settings: every secret from the environment, HTTPS hardening, JSON logs."""

from django.core.exceptions import ImproperlyConfigured

import vividly.checks  # noqa: F401 - registers the production deploy checks

from .base import *
from .base import DATABASES, LOGGING, TRUSTED_PROXY_COUNT, env

# No default: refusing to start beats running with a guessable key. The local settings'
# dev-only key (or any short one) is as guessable as none: it is in the repository.
SECRET_KEY = env("DJANGO_SECRET_KEY")
MIN_SECRET_KEY_LENGTH = 50
if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    raise ImproperlyConfigured(
        f"DJANGO_SECRET_KEY must be a random value of at least {MIN_SECRET_KEY_LENGTH} characters, "
        "not the local dev-only key: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# TLS usually ends at the load balancer, which tells us the original scheme. Trusted only
# when a proxy is declared: without one, any client could claim HTTPS with this header.
if TRUSTED_PROXY_COUNT > 0:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

SILENCED_SYSTEM_CHECKS = [
    *SILENCED_SYSTEM_CHECKS,
    # The redirect to HTTPS is done by the load balancer in front of the service (the
    # contract's DJANGO_SECURE_SSL_REDIRECT is off by default); redirecting here as well
    # would break the plain-HTTP health checks that balancers send.
    "security.W008",
    # HSTS preload is a one-way commitment for the whole domain and its subdomains, a
    # decision for the school's domain owner; DJANGO_SECURE_HSTS_PRELOAD turns it on.
    "security.W021",
]

LOGGING = {
    **LOGGING,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
}

# --- Database connections: a pool per process, and a budget for all of them ---------------
# Django's psycopg pool (psycopg-pool): each process keeps DB_POOL_MIN_SIZE connections open
# and lends at most DB_POOL_MAX_SIZE to its threads; a thread that finds none free waits up to
# DB_POOL_TIMEOUT seconds, then fails as a database outage (503). Pooling replaces persistent
# connections (Django refuses CONN_MAX_AGE with a pool). Behind PgBouncer in transaction mode,
# set DB_POOL=false (and DATABASE_CONN_MAX_AGE=0): the pooler then does this job.
DB_POOL = env.bool("DB_POOL", default=True)
DB_POOL_MIN_SIZE = env.int("DB_POOL_MIN_SIZE", default=2)
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=8)
DB_POOL_TIMEOUT = env.float("DB_POOL_TIMEOUT", default=5.0)
if DB_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "pool": {"min_size": DB_POOL_MIN_SIZE, "max_size": DB_POOL_MAX_SIZE, "timeout": DB_POOL_TIMEOUT},
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# PgBouncer in transaction mode hands each transaction any server connection: a cursor held
# across transactions (QuerySet.iterator()) would be lost.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)

# What the whole deployment may hold at once, checked by `check --deploy` (vividly.E002):
# web instances x gunicorn workers x connections per worker, plus the single-threaded
# processes (RQ workers, the sweeper, CronJobs), must stay within DB_CONNECTION_BUDGET of
# the server's max_connections (the rest is for migrations, shells and PostgreSQL itself).
# Set the counts to the most the deployment scales to (the HPA's and KEDA's maxReplicas).
DEPLOY_WEB_INSTANCES = env.int("DEPLOY_WEB_INSTANCES", default=2)
DEPLOY_WEB_WORKERS = env.int("DEPLOY_WEB_WORKERS", default=env.int("WEB_CONCURRENCY", default=2))
DEPLOY_WEB_THREADS = env.int("DEPLOY_WEB_THREADS", default=env.int("GUNICORN_THREADS", default=64))
DEPLOY_RQ_WORKERS = env.int("DEPLOY_RQ_WORKERS", default=2)
DEPLOY_OTHER_PROCESSES = env.int("DEPLOY_OTHER_PROCESSES", default=2)
DB_MAX_CONNECTIONS = env.int("DB_MAX_CONNECTIONS", default=100)
DB_CONNECTION_BUDGET = env.float("DB_CONNECTION_BUDGET", default=0.8)
