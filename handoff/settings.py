"""Handoff settings, driven by environment variables.

With nothing set, Handoff runs a demo on SQLite with Celery tasks in-process.
DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and a real worker.
"""

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from handoff.env import (
    cache_config,
    env_bool,
    env_broker,
    env_cache_url,
    env_database,
    env_hours_by_key,
    env_int,
    env_list,
    env_redis_url,
    env_str,
    storage_config,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "handoff-insecure-development-key-only-for-the-demo"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "core",
    "tickets",
    "defects",
    "sync",
    "tools",
    "enhancements",
    "releases",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Dates in the reader's time zone (their preference, kept in the session).
    "core.middleware.UserTimeZoneMiddleware",
    "core.middleware.NoStoreForSignedInMiddleware",
    # The customer portal's own sessions, on /portal/ and /api/portal/ only (never the staff session).
    "portal.middleware.PortalSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it turns a locked-out sign-in into the lockout answer (core.auth).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "handoff.urls"
WSGI_APPLICATION = "handoff.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.user_roles",
            ],
            # `|when` (one date style) and `|markdown` in every template without a {% load %}.
            "builtins": ["core.templatetags.handoff_tags"],
        },
    },
    # The few hot fragments (core/jinja2.py), under templates/jinja2/: a folder the
    # Django engine above never asks for, since no Django template names "jinja2/...".
    {
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "core.jinja2.environment", "autoescape": True},
    },
]

# Form widgets drawn by Jinja2 from Django's own Jinja2 copies of its widget templates.
FORM_RENDERER = "core.forms.WidgetRenderer"

DATABASES = {"default": env_database(
    "DATABASE_URL", str(BASE_DIR / "db.sqlite3"), prepared=env_bool("DATABASE_PREPARED_STATEMENTS", True),
)}
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# Axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "core.auth.LoginThrottleBackend",
    # Django's model backend, reading a signed-in user's roles with the user (one query).
    "core.auth.RoleModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploads are never served from MEDIA_URL: downloads go through a view that
# checks permissions and forces Content-Disposition: attachment.
MEDIA_URL = "/media-not-served/"
# Attachments go through Django's storage API only (never a file path), so HANDOFF_STORAGE
# picks where they live: `local`, the folder MEDIA_ROOT (shared by every web and worker
# machine when there are several), or `s3`, an S3-compatible bucket (handoff/env.py).
STORAGES = {
    "default": storage_config("HANDOFF_STORAGE"),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "core.static.StaticFilesStorage"
        )
    },
}

# Attachments: size limit and the types accepted, checked by content.
HANDOFF_MAX_UPLOAD_BYTES = env_int("HANDOFF_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = HANDOFF_MAX_UPLOAD_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "handoff@localhost")
HANDOFF_BASE_URL = env_str("HANDOFF_BASE_URL", "http://127.0.0.1:8000")
# Whether the address was given: with DEBUG off, a missing one is a start-up warning (core/checks.py).
HANDOFF_BASE_URL_GIVEN = bool(env_str("HANDOFF_BASE_URL", ""))
# Release notices left `sending` longer than this by a sender that died are settled:
# marked sent when the mail server had accepted them, sent again otherwise. Keep it
# well above CELERY_TASK_TIME_LIMIT, so a slow but living sender is never overtaken.
HANDOFF_OUTREACH_SENDING_TIMEOUT = env_int("HANDOFF_OUTREACH_SENDING_TIMEOUT", 900, minimum=60)

# How long a customer of each tier may wait for an update to an open ticket before the
# ticket list flags it ("waiting 3 days"): hours per tier, e.g. "strategic=8,trial=240".
HANDOFF_WAITING_HOURS = env_hours_by_key("HANDOFF_WAITING_HOURS", {"strategic": 24, "standard": 72, "trial": 168})

# Celery: a real broker when CELERY_BROKER_URL is set, in-process otherwise.
CELERY_BROKER_URL = env_broker("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Separate deployments (or test runs) sharing one broker each use their own queue.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery") or "celery"
# Each periodic task is sent once per period however many beats run (handoff/beat.py).
CELERY_BEAT_SCHEDULER = "handoff.beat:OncePerSlotScheduler"

# Caches every process must agree on (the manager charts, sign-in sessions, the beat's
# claims) live in Redis whenever there is one: CACHE_URL, or else the broker's Redis.
# Without Redis each process keeps its own, which is right only for one process.
# Keys carry the queue's name, so deployments that share a Redis by their queues
# (CELERY_QUEUE) never read each other's charts or sessions.
CACHE_URL = env_cache_url("CACHE_URL", broker_url=CELERY_BROKER_URL)
# With a shared cache a session is read from Redis (no query per request) and written
# through to the database, so a Redis restart signs nobody out. With per-process
# caches that would be wrong (a session ended in one process would live on in the
# cache of another), so sessions stay in the database, which every process shares.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if CACHE_URL else "django.contrib.sessions.backends.db"
)

# Tracker sync (sync): poll trackers without webhooks, relay what a lost
# message or a dead worker left in the outbox, and how hard to retry.
HANDOFF_SYNC_POLL_SECONDS = env_int("HANDOFF_SYNC_POLL_SECONDS", 60, minimum=5)
HANDOFF_SYNC_RELAY_SECONDS = env_int("HANDOFF_SYNC_RELAY_SECONDS", 30, minimum=1)
HANDOFF_SYNC_CLAIM_TIMEOUT = env_int("HANDOFF_SYNC_CLAIM_TIMEOUT", 120, minimum=5)
HANDOFF_SYNC_BACKOFF_SECONDS = env_int("HANDOFF_SYNC_BACKOFF_SECONDS", 10, minimum=1)
HANDOFF_SYNC_BACKOFF_MAX = env_int("HANDOFF_SYNC_BACKOFF_MAX", 900, minimum=1)
# Largest webhook body taken, judged by Content-Length before the body is read.
HANDOFF_WEBHOOK_MAX_BYTES = env_int("HANDOFF_WEBHOOK_MAX_BYTES", 1024 * 1024, minimum=1024)
HANDOFF_SYNC_HTTP_TIMEOUT = env_int("HANDOFF_SYNC_HTTP_TIMEOUT", 10, minimum=1)
# Tracker calls in flight at once per tracker account, and where rate-limit waits and
# in-flight slots are kept: the shared cache's Redis (CACHE_URL) unless
# HANDOFF_SYNC_CACHE_URL names another. Its keys are not per deployment: trackers count
# calls per account, so deployments calling with one account share one budget.
HANDOFF_SYNC_MAX_IN_FLIGHT = env_int("HANDOFF_SYNC_MAX_IN_FLIGHT", 4, minimum=1)
HANDOFF_SYNC_CACHE_URL = env_redis_url("HANDOFF_SYNC_CACHE_URL") or CACHE_URL
CACHES = {
    "default": cache_config(CACHE_URL, prefix=f"handoff:{CELERY_TASK_DEFAULT_QUEUE}"),
    "sync": cache_config(HANDOFF_SYNC_CACHE_URL, prefix="handoff-sync"),
}
# Tracker base URLs on loopback or private networks are refused unless allowed (tests, the demo).
HANDOFF_ALLOW_INTERNAL_URLS = env_bool("HANDOFF_ALLOW_INTERNAL_URLS", default=DEBUG)
# Code traceability (releases.code): where the portal mirrors product repositories, and how
# often every repository is fetched and scanned (push webhooks scan at once).
HANDOFF_GIT_MIRRORS = Path(env_str("HANDOFF_GIT_MIRRORS", str(BASE_DIR / "var" / "git")))
HANDOFF_GIT_SCAN_SECONDS = env_int("HANDOFF_GIT_SCAN_SECONDS", 900, minimum=30)
CELERY_BEAT_SCHEDULE = {
    "sync-poll": {"task": "sync.poll", "schedule": float(HANDOFF_SYNC_POLL_SECONDS)},
    "sync-relay": {"task": "sync.relay", "schedule": float(HANDOFF_SYNC_RELAY_SECONDS)},
    "code-scan": {"task": "releases.code.scan_all", "schedule": float(HANDOFF_GIT_SCAN_SECONDS)},
    "outreach-recover": {"task": "releases.recover_notices", "schedule": 300.0},
    # Hourly and daily notification digests (core.digests): each is sent once its period is over.
    "notification-digests": {"task": "core.send_digests", "schedule": 300.0},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Tokens first, so a missing, expired or revoked token is a 401 with a challenge.
        "core.tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsStaffRole"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.BoundedPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # JSON with a nesting and size bound (core.api); forms and uploads as DRF reads them.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Handoff API",
    "DESCRIPTION": "Help-desk tickets escalated to engineering as defects, and back.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs pages answer the same people as the API itself.
    "SERVE_PERMISSIONS": ["core.permissions.IsStaffRole"],
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ serves Swagger UI from the portal's own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Three models have a `status`; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "DefectStatusEnum": "defects.models.Defect.Status",
        "ReleaseStatusEnum": "releases.models.Release.Status",
        "DefectKindEnum": "defects.models.Defect.Kind",
        "NotificationKindEnum": "core.models.Notification.Kind",
        "BuildStatusEnum": "releases.code.models.Build.Status",
        "CommitLinkKindEnum": "releases.code.models.CommitLink.Kind",
        "TrackerKindEnum": "sync.models.Connection.Kind",
        # A field source's side and a conflict's winner are the same two choices.
        "SyncSideEnum": "sync.models.FieldSource.Side",
        "RequestStatusEnum": "enhancements.models.EnhancementRequest.Status",
        "RequestImportanceEnum": "enhancements.models.TicketRequestLink.Importance",
        "CustomerTierEnum": "tickets.models.Customer.Tier",
        "TeamKindEnum": "defects.models.Team.Kind",
        "RoutingRuleKindEnum": "defects.models.RoutingRule.Kind",
    },
}

# Password guessing (django-axes, handoff/auth.py): after HANDOFF_LOGIN_FAILURE_LIMIT failed
# sign-ins from one account, or from one client address whatever the account, sign-in is
# refused, even with the right password, for HANDOFF_LOGIN_COOLOFF_MINUTES. Attempts are
# kept in the database, so every process sees them. Behind reverse proxies, set
# HANDOFF_TRUSTED_PROXIES to their number so the client's address is read from
# X-Forwarded-For; otherwise every client would share the proxy's address.
AXES_ENABLED = env_bool("HANDOFF_LOGIN_THROTTLE", default=True)
AXES_FAILURE_LIMIT = env_int("HANDOFF_LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HANDOFF_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.auth.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.auth.client_ip"
HANDOFF_TRUSTED_PROXIES = env_int("HANDOFF_TRUSTED_PROXIES", 0, minimum=0)
# API tokens (handoff/tokens.py) expire this many days after they are issued.
HANDOFF_API_TOKEN_DAYS = env_int("HANDOFF_API_TOKEN_DAYS", 30, minimum=1)
# Password reset links are valid this long (Django's setting, in seconds).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600, minimum=60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp) on every response: scripts, styles and everything
# else only from the portal itself, so a tracker's text or link that slips past the
# escaping still cannot run. Pages use no inline script, style or on*= handler; data for
# scripts travels in json_script blocks, which are not executed. /api/docs/ relaxes
# style-src for Swagger UI's own inline styles (handoff/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# HTTPS. HANDOFF_HTTPS (on by default when DEBUG is off) says the site is served over
# HTTPS: plain-HTTP requests are redirected and browsers are told by HSTS to use HTTPS
# only, for SECURE_HSTS_SECONDS (a year; try a few minutes first on a new domain).
# HANDOFF_BEHIND_PROXY=1 trusts X-Forwarded-Proto from a TLS-terminating proxy; set it
# only when that proxy always overwrites the header, or a client could claim HTTPS.
HANDOFF_HTTPS = env_bool("HANDOFF_HTTPS", default=not DEBUG)
if HANDOFF_HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if env_bool("HANDOFF_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
