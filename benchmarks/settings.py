"""Benchmark settings: production-like (DEBUG off, JSON logs at WARNING) plus the baseline view."""

from vividly.settings.production import *

ROOT_URLCONF = "benchmarks.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
# Seeding creates some 500 users (a school's worth of tokens); production's PBKDF2 made that
# minutes of the run. No scenario logs in with a password, so no measured path hashes one.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
