"""Benchmark settings: production-like (DEBUG off, JSON logs at WARNING) plus the baseline view."""

from vividly.settings.production import *

ROOT_URLCONF = "benchmarks.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
