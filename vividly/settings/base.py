"""Settings shared by every environment, read from the environment through one `env`."""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Variables already in the environment win over the file.
    env.read_env(str(BASE_DIR / ".env"))

DATA_DIR = Path(env("VIVIDLY_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://localhost:8000").rstrip("/")
# The student and teacher app: links in emails meant for people.
APP_BASE_URL = env("APP_BASE_URL", default=PUBLIC_BASE_URL).rstrip("/")
# Where an email sends a student to watch content (the student app's page; {base} is APP_BASE_URL).
CONTENT_LINK_TEMPLATE = env("CONTENT_LINK_TEMPLATE", default="{base}/watch/{cache_key}")

INSTALLED_APPS = [
    "vividly.admin_site.VividlyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    "anymail",
    "vividly.accounts",
    "vividly.privacy",
    "vividly.periodic",
    "cache_app",
    "delivery_app",
    "notifications_app",
    "generation_app",
]

MIDDLEWARE = [
    # First: every answer, errors of the middleware below included, carries its X-Request-ID
    # and is timed (vividly/observability/).
    "vividly.observability.request_id.RequestIdMiddleware",
    "vividly.observability.middleware.RequestMetricsMiddleware",
    "vividly.http.ApiErrorMiddleware",
    # Before anything that answers (WhiteNoise, CommonMiddleware): preflights and errors get CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns an admin login refused by a lockout into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vividly.urls"
WSGI_APPLICATION = "vividly.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        # The admin and its custom pages; the front page and the admin's base page, overridden
        # for its favicon (vividly/templates).
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "vividly" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {
        # Emails: subject, text and HTML bodies under templates/emails/.
        "NAME": "emails",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "notifications_app.rendering.jinja2_environment"},
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web workers and the RQ worker write at once: WAL lets readers through, IMMEDIATE
    # takes the write lock up front (no deadlocking upgrade), the timeout waits for it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Reuse connections across requests: opening one (and, on SQLite, running the PRAGMAs)
# would otherwise cost more than the query a request makes.
# No CONN_HEALTH_CHECKS: it costs a query per request; a connection broken by a database
# restart fails one request (503) and is replaced on the next.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

# --- Redis ----------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://localhost:6379/0")
RQ_REDIS_URL = env("RQ_REDIS_URL", default=REDIS_URL)
# A dead Redis must cost one short timeout, not redis-py's default retries with backoff.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.25)
# After a Redis failure, skip that Redis for this many seconds (circuit breaker).
REDIS_BREAKER_RESET_SECONDS = env.float("REDIS_BREAKER_RESET_SECONDS", default=2.0)
CACHE_HOT_TTL = env.int("CACHE_HOT_TTL", default=3600)
# Each process keeps copies of hot documents and remembered signed URLs, current by Redis's key
# tracking and a lease (vividly/local_copy.py): a hot hit without a Redis round trip. Stores and invalidations
# then take the lease longer, so that no process serves the old document once they return.
CACHE_HOT_LOCAL_COPY = env.bool("CACHE_HOT_LOCAL_COPY", default=True)
CACHE_HOT_LOCAL_LEASE_SECONDS = env.float("CACHE_HOT_LOCAL_LEASE_SECONDS", default=0.05)
CACHE_HOT_LOCAL_ENTRIES = env.int("CACHE_HOT_LOCAL_ENTRIES", default=10_000)


def redis_cache(url: str, *, prefix: str, timeout: int | None) -> dict:
    """Return a django-redis cache definition with short timeouts and no retries."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "TIMEOUT": timeout,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": REDIS_SOCKET_TIMEOUT,
            "CONNECTION_POOL_KWARGS": {"retry": Retry(NoBackoff(), 0), "health_check_interval": 30},
            # JSON, not pickle: whoever can write to Redis must not run code in every process.
            "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
        },
    }


CACHES = {
    # Evictable: short-lived derived data (signed URLs).
    "default": redis_cache(REDIS_URL, prefix="vividly", timeout=300),
    # Evictable: the hot tier of the content cache.
    "hot": redis_cache(REDIS_URL, prefix="vividly:hot", timeout=CACHE_HOT_TTL),
    # Must not be evicted: job queues, rate limits, throttles, statistics counters.
    "state": redis_cache(RQ_REDIS_URL, prefix="vividly:state", timeout=None),
}

# Jobs are JSON, never pickles: write access to Redis must not mean code execution.
RQ_QUEUES = {
    name: {"USE_REDIS_CACHE": "state", "DEFAULT_TIMEOUT": 120, "SERIALIZER": "rq.serializers.JSONSerializer"}
    for name in ("high", "default", "low")
}
RQ = {
    # RQ's in-process SimpleWorker reading JSON jobs (see the module's docstring).
    "WORKER_CLASS": "vividly.rq_worker.Worker",
    # Jobs carry the X-Request-ID of the request that enqueued them (vividly/observability/rq.py).
    "QUEUE_CLASS": "vividly.observability.rq.RequestIdQueue",
}
RQ_SHOW_ADMIN_LINK = True
# How often a worker runs RQ's maintenance, which starts its scheduler again after Redis
# killed it (vividly/rq_worker.py); RQ's own default is 600.
RQ_MAINTENANCE_INTERVAL_SECONDS = env.int("RQ_MAINTENANCE_INTERVAL_SECONDS", default=30)

# --- Storage --------------------------------------------------------------------------
GCS_CACHE_BUCKET = env("GCS_CACHE_BUCKET", default="")
GCS_CONTENT_BUCKET = env("GCS_CONTENT_BUCKET", default="")
SIGNED_URL_TTL = env.int("SIGNED_URL_TTL", default=900)
# Cloud Run / GKE have no private key to sign with: sign through IAM signBlob instead.
GS_IAM_SIGN_BLOB = env.bool("GS_IAM_SIGN_BLOB", default=False)
GS_SA_EMAIL = env("GS_SA_EMAIL", default=None)
# Every GCS call gives up after this long (retries included) instead of the library's 120 s.
GCS_TIMEOUT_SECONDS = env.float("GCS_TIMEOUT_SECONDS", default=2.0)


def bucket_storage(bucket: str, folder: Path) -> dict:
    """Return a GCS storage on `bucket` when set, else a local folder storage."""
    if bucket:
        return {
            "BACKEND": "vividly.storage.BoundedGoogleCloudStorage",
            "OPTIONS": {
                "bucket_name": bucket,
                "expiration": SIGNED_URL_TTL,
                "querystring_auth": True,
                "default_acl": None,
                "file_overwrite": True,
                "iam_sign_blob": GS_IAM_SIGN_BLOB,
                "sa_email": GS_SA_EMAIL,
            },
        }
    return {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(folder), "allow_overwrite": True},
    }


STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "cache_cold": bucket_storage(GCS_CACHE_BUCKET, DATA_DIR / "cache"),
    "content": bucket_storage(GCS_CONTENT_BUCKET, DATA_DIR / "content"),
}

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "vividly" / "static"]

# --- Email ----------------------------------------------------------------------------
SENDGRID_API_KEY = env("SENDGRID_API_KEY", default="")
SENDGRID_FROM_EMAIL = env("SENDGRID_FROM_EMAIL", default="noreply@vividly.edu")
SENDGRID_FROM_NAME = env("SENDGRID_FROM_NAME", default="Vividly Team")
DEFAULT_FROM_EMAIL = f"{SENDGRID_FROM_NAME} <{SENDGRID_FROM_EMAIL}>"
# Where a reader's reply goes (`request_denied` asks them to talk to someone; noreply@ cannot
# answer): `office@school.edu` or `School Office <office@school.edu>`. Unset: no Reply-To header.
SENDGRID_REPLY_TO = env("SENDGRID_REPLY_TO", default="").strip()
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_BACKEND = (
    "anymail.backends.sendgrid.EmailBackend" if SENDGRID_API_KEY else "notifications_app.backends.EmlFileBackend"
)
ANYMAIL = {
    "SENDGRID_API_KEY": SENDGRID_API_KEY,
    "SENDGRID_API_URL": env("SENDGRID_API_URL", default="https://api.sendgrid.com/v3/"),
    "WEBHOOK_SECRET": env("SENDGRID_WEBHOOK_SECRET", default=None),
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": env("SENDGRID_WEBHOOK_VERIFICATION_KEY", default=None),
    # A provider call must never hold a worker for long; a timeout is a transient failure.
    "REQUESTS_TIMEOUT": (3.0, 10.0),
}
EMAIL_RATE_LIMIT_PER_MINUTE = env.int("EMAIL_RATE_LIMIT_PER_MINUTE", default=100)
EMAIL_RETRY_DELAYS = [int(delay) for delay in env.list("EMAIL_RETRY_DELAYS", default=["10", "60", "300"])]
EMAIL_RECIPIENT_LIMIT_PER_HOUR = env.int("EMAIL_RECIPIENT_LIMIT_PER_HOUR", default=5)
# A notification still queued or sending this long after its last change is swept back.
EMAIL_STUCK_AFTER_SECONDS = env.int("EMAIL_STUCK_AFTER_SECONDS", default=300)
EMAIL_SWEEP_INTERVAL_SECONDS = env.int("EMAIL_SWEEP_INTERVAL_SECONDS", default=60)
# RQ stops a delivery job after this long (more than REQUESTS_TIMEOUT allows a call); a row
# still `sending` after twice as long has no worker left on it and the sweep takes it back.
EMAIL_JOB_TIMEOUT_SECONDS = env.int("EMAIL_JOB_TIMEOUT_SECONDS", default=60)
# Rows one delivery job claims and sends in one pass (notifications_app/claims.py): RQ costs
# ~5 ms of bookkeeping per job here, more than an email. 1 = a job sends only its own row.
EMAIL_CLAIM_CHUNK = env.int("EMAIL_CLAIM_CHUNK", default=100)
# Single sends of one template claimed together go as one grouped SendGrid call, as a batch's
# do (notifications_app/grouping.py). Off: each single send is its own call, and a worker that
# dies mid-call can repeat only that one email, not the call's recipients (RELIABILITY.md).
EMAIL_GROUP_SINGLE_SENDS = env.bool("EMAIL_GROUP_SINGLE_SENDS", default=True)
# The local hour (recipient's time zone) a daily digest goes, and how often the sweeper looks for due ones.
DIGEST_HOUR = env.int("DIGEST_HOUR", default=16)
DIGEST_RUN_INTERVAL_SECONDS = env.int("DIGEST_RUN_INTERVAL_SECONDS", default=60)
# The app's page where a user changes all their email preferences (linked from the unsubscribe page).
APP_PREFERENCES_URL = env("APP_PREFERENCES_URL", default=f"{APP_BASE_URL}/settings/notifications")
# --- Email links (notifications_app) ---------------------------------------------------
# Hosts that `*_url` context variables may link to (no port; `*.example.edu` allowed): an
# email signed by the service must not carry a caller's phishing link.
EMAIL_LINK_HOSTS = env.list(
    "EMAIL_LINK_HOSTS",
    default=sorted({urlsplit(url).hostname or "" for url in (APP_BASE_URL, PUBLIC_BASE_URL)} - {""}),
)

SILENCED_SYSTEM_CHECKS = [
    # anymail 13.0.1 dropped official SendGrid support and warns on every start. The
    # backend still works and our own wire-level tests (a local SendGrid stand-in) are
    # the guarantee that it keeps working with the versions we pin.
    "anymail.W003",
]

# --- Generation queue (generation_app) -----------------------------------------------
# A retryable failure waits the n-th delay before attempt n+1 (the last delay repeats).
GENERATION_RETRY_DELAYS = [int(delay) for delay in env.list("GENERATION_RETRY_DELAYS", default=["60", "300", "1800"])]
GENERATION_MAX_ATTEMPTS = env.int("GENERATION_MAX_ATTEMPTS", default=3)
# How often the periodic sweeper takes back expired leases nobody claimed again.
GENERATION_SWEEP_INTERVAL_SECONDS = env.int("GENERATION_SWEEP_INTERVAL_SECONDS", default=30)
# How long an upload URL handed to a generator stays valid.
GENERATION_UPLOAD_URL_TTL = env.int("GENERATION_UPLOAD_URL_TTL", default=3600)
# The largest artifact the local upload link (/files/upload/) accepts.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=512 * 1024 * 1024)

# --- Delivery limits ------------------------------------------------------------------
# A student's pending requests each cost a generation job: bounded (429 too_many_pending_requests).
MAX_PENDING_REQUESTS_PER_STUDENT = env.int("MAX_PENDING_REQUESTS_PER_STUDENT", default=50)
# Unfinished views per user and content started within the window (429 too_many_open_views).
MAX_OPEN_VIEWS_PER_USER_AND_KEY = env.int("MAX_OPEN_VIEWS_PER_USER_AND_KEY", default=20)
OPEN_VIEW_WINDOW_SECONDS = env.int("OPEN_VIEW_WINDOW_SECONDS", default=3600)

# --- HTTP API -------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["vividly.api.authentication.UserTokenAuthentication"],
    # Every /api/ view: API_USER_RATE per user (fails open without Redis); see vividly/api/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": ["vividly.api.throttling.UserThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["vividly.api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "vividly.api.exception_handler.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_USER_RATE", default="600/min"),
        # Every login request per client address (bounds password hashing), beside the
        # failure limits below; generous, since a whole school may sit behind one address.
        "login": env("API_LOGIN_THROTTLE_RATE", default="300/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
# Schema tightness (issue 17): an unknown ?format= is ignored like any unknown query parameter.
REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"] = "vividly.api.negotiation.ContentNegotiation"

SPECTACULAR_SETTINGS = {
    "TITLE": "Vividly infrastructure services",
    "DESCRIPTION": "Content cache, content delivery and notifications for the Vividly platform.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "ENUM_NAME_OVERRIDES": {},
    # Generated once per process, not per request.
    "DEFAULT_GENERATOR_CLASS": "vividly.api.schema.CachedSchemaGenerator",
    # The audience tags (who calls what), described at the top of the schema.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "vividly.api.schema.audience_tags"],
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["GenerationJobStatusEnum"] = "generation_app.models.JobStatus"

# --- Privacy (PRIVACY.md) -------------------------------------------------------------
# A bulk read (a class's progress, a video's viewers) repeated by the same reader within this
# many seconds is not logged again per student (the access log's entry is the window's first read).
ACCESS_LOG_REPEAT_SECONDS = env.float("ACCESS_LOG_REPEAT_SECONDS", default=300)
# How long rows about users are kept before `purge_expired_data` deletes them (days).
RETENTION_VIEW_DAYS = env.int("RETENTION_VIEW_DAYS", default=365)
RETENTION_NOTIFICATION_DAYS = env.int("RETENTION_NOTIFICATION_DAYS", default=90)
RETENTION_PROVIDER_EVENT_DAYS = env.int("RETENTION_PROVIDER_EVENT_DAYS", default=30)
# Rows deleted per transaction: bounds how long the purge holds a lock.
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=2000)

# --- Security (production tightens these) ---------------------------------------------
# How many reverse proxies in front of the service append to X-Forwarded-For (and may be
# believed about X-Forwarded-Proto); 0: clients talk to gunicorn directly.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Identity (issue 10): user tokens, login limits, passwords, the admin's sign-in ---------
# User tokens are django-rest-knox's: only a SHA-512 digest is stored, each one expires.
USER_TOKEN_TTL_HOURS = env.int("USER_TOKEN_TTL_HOURS", default=168)
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=USER_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
# Failed logins allowed per LOGIN_WINDOW_SECONDS, per username and per client address.
LOGIN_ATTEMPTS_PER_USERNAME = env.int("LOGIN_ATTEMPTS_PER_USERNAME", default=5)
LOGIN_ATTEMPTS_PER_ADDRESS = env.int("LOGIN_ATTEMPTS_PER_ADDRESS", default=100)
LOGIN_WINDOW_SECONDS = env.int("LOGIN_WINDOW_SECONDS", default=15 * 60)
# Proxies in front of the service that append to X-Forwarded-For: 0 = trust only REMOTE_ADDR;
# N = the client is the Nth address from the right (what the Nth proxy saw).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out admin sign-in before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes guards the admin's login form only; the API's login has its own limiter.
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# A username is locked whatever address guesses at it; an address whatever usernames it tries.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "vividly.api.client_address.client_address"
# Admin sessions (the only sessions there are) end after 8 hours.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
# --- end Identity -------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
# The zone the admin shows times in (the district's, e.g. America/Chicago); stored times are UTC.
TIME_ZONE = env("TIME_ZONE", default="UTC")
# Dates and times read one way everywhere (vividly/formats/en/formats.py).
FORMAT_MODULE_PATH = "vividly.formats"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    # On the handler, not a logger: records of every logger (Django's, RQ's) pass through it.
    "filters": {"request_id": {"()": "vividly.observability.request_id.RequestIdFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "rq.worker": {"level": "INFO"},
    },
}
# --- Email tracking (notifications_app; PRIVACY.md) --------------------------------------
# Open and click tracking are off for every email; True turns them on for staff recipients only.
EMAIL_TRACKING_FOR_STAFF = env.bool("EMAIL_TRACKING_FOR_STAFF", default=False)
# Days django-axes' login records (username, IP address, browser) are kept (PRIVACY.md).
RETENTION_LOGIN_RECORD_DAYS = env.int("RETENTION_LOGIN_RECORD_DAYS", default=30)

# --- Playback through Google Cloud CDN (delivery_app.playback) ----------------------------
# Unset: HLS is served by this service's own /files/p/ links (no bucket) or not at all (a
# bucket without a CDN answers `progressive`). Keys are base64url, 16 bytes; the _NEXT pair is
# the key being rolled in (checked, never used to sign until promoted to CDN_KEY_NAME/CDN_KEY).
CDN_BASE_URL = env("CDN_BASE_URL", default="").rstrip("/")
CDN_KEY_NAME = env("CDN_KEY_NAME", default="")
CDN_KEY = env("CDN_KEY", default="")
CDN_KEY_NAME_NEXT = env("CDN_KEY_NAME_NEXT", default="")
CDN_KEY_NEXT = env("CDN_KEY_NEXT", default="")
# CORS (django-cors-headers) on the local links only: /files/p/<token>/… (HLS folders) and
# /files/<blob> (signed files), never the API or the generator's /files/upload/. A web player
# on the student app's origin (APP_BASE_URL's) and on PLAYBACK_CORS_ORIGINS (a comma-separated
# list of origins, scheme://host[:port]) may fetch playlists and segments, with Range.
PLAYBACK_CORS_ORIGINS = env.list("PLAYBACK_CORS_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/files/(?!upload/)"
CORS_ALLOWED_ORIGINS = sorted(
    {
        "{0.scheme}://{0.netloc}".format(urlsplit(APP_BASE_URL)),
        *(o.strip().rstrip("/") for o in PLAYBACK_CORS_ORIGINS if o.strip()),
    }
)
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_ALLOW_HEADERS = ["range"]
# A player reads these to follow a ranged download (fetch hides them from scripts otherwise).
CORS_EXPOSE_HEADERS = ["Content-Length", "Content-Range", "Accept-Ranges"]
# The links carry their own authority (a signed token); no cookies cross origins.
CORS_ALLOW_CREDENTIALS = False
# --- end Playback ---------------------------------------------------------------------------
