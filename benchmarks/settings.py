"""Benchmark settings: production-like (DEBUG off, JSON logs at WARNING) plus the baseline view."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-7d2f")

from vividly.settings.production import *

ROOT_URLCONF = "benchmarks.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
