"""Settings for a laptop: embedded defaults, a dev-only secret key."""

from .base import *
from .base import INSTALLED_APPS, STATIC_ROOT, env

SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="dev-only-insecure-key-never-use-in-production-0c4f6a1e9b2d",
)

STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Serve the admin's static files straight from the apps: no collectstatic on a laptop.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Developer tooling (demo data, `seed_demo`): never listed in the production settings.
INSTALLED_APPS = [*INSTALLED_APPS, "devstack.demo"]
DEVSTACK = True
