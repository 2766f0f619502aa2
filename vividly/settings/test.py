"""Settings for the test suite: real Redis on dedicated database numbers, a temp data dir."""

import os
import tempfile
from pathlib import Path

from .base import *
from .base import CACHES, INSTALLED_APPS, redis_cache

SECRET_KEY = "test-only-secret-key-5b1d0e7c"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
INSTALLED_APPS = [*INSTALLED_APPS, "devstack.demo"]
DEVSTACK = True

# Each xdist worker gets its own pair of Redis databases so parallel runs never share
# (or flush) each other's keys. Database 0 and 1 are left to `make run`.
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
# The test run's plugin (devstack.pytest_plugin) sets TEST_REDIS_URL before Django starts,
# starting an embedded Redis when none answers; importing these settings starts nothing.
TEST_REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
REDIS_URL = f"{TEST_REDIS_BASE}/{2 + 2 * _worker}"
RQ_REDIS_URL = f"{TEST_REDIS_BASE}/{3 + 2 * _worker}"
CACHES = {
    "default": redis_cache(REDIS_URL, prefix="vividly", timeout=300),
    "hot": redis_cache(REDIS_URL, prefix="vividly:hot", timeout=CACHES["hot"]["TIMEOUT"]),
    "state": redis_cache(RQ_REDIS_URL, prefix="vividly:state", timeout=None),
}

DATA_DIR = Path(tempfile.mkdtemp(prefix="vividly-test-"))
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir()
STORAGES = {
    **STORAGES,
    "cache_cold": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "cache"), "allow_overwrite": True},
    },
    "content": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "content"), "allow_overwrite": True},
    },
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EMAIL_FILE_PATH = DATA_DIR / "mail"

# MD5 keeps the tests fast; PBKDF2 is there to make passwords for the real server in end-to-end tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

DATABASES = {**DATABASES}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: worker and server subprocesses in the tests share it.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

# Off unless a test turns it on (cache_app/tests/test_local_copy.py, the cache API tests): many
# tests write the hot Redis behind the service's back (FLUSHDB between tests, CLIENT PAUSE,
# maxmemory), which a copy would see only as fast as its listener, not within their next line.
CACHE_HOT_LOCAL_COPY = False
CACHE_HOT_LOCAL_LEASE_SECONDS = 0.05
