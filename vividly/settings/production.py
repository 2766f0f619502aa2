"""Production settings: every secret from the environment, HTTPS hardening, JSON logs."""

from django.core.exceptions import ImproperlyConfigured

import vividly.checks  # noqa: F401 - registers the production deploy checks

from .base import *
from .base import LOGGING, TRUSTED_PROXY_COUNT, env

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
