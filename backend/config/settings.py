"""Settings: every environment variable the service reads is read here, and only here.

Nothing set gives a working development setup (SQLite file, local-memory cache, dev-only
secrets, DEBUG on). With DEBUG off the service refuses to start while any secret still has
its development value, so a forgotten variable can never reach production.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_seconds_list,
    env_str,
)

# Celery's fixed CELERY_* settings (acks late, prefetch 1, JSON only...); the ones read from the
# environment are below.
from config.settings_celery import *  # noqa: F403
from config.settings_celery import broker_transport_options
from config.uploads import local_upload_storage, s3_upload_storage

BACKEND_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BACKEND_DIR.parent


DEBUG = env_bool("DEBUG", True)

# Development-only values. Each one is refused below when DEBUG is off.
DEV_SECRETS = {
    "SECRET_KEY": "dev-only-secret-key-never-use-in-production-0123456789abcdef",
    "JWT_SIGNING_KEY": "dev-only-jwt-signing-key-never-use-in-production-fedcba9876543210",
    "FIELD_ENCRYPTION_KEY": "ZGV2LW9ubHktZmllbGQtZW5jcnlwdGlvbi1rZXkhISE=",
    "TIKTOK_CLIENT_KEY": "demo-client-key",
    "TIKTOK_CLIENT_SECRET": "demo-client-secret",
}
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRETS["SECRET_KEY"])
JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY", DEV_SECRETS["JWT_SIGNING_KEY"])
# A comma-separated list: the first key encrypts, every key decrypts (key rotation).
FIELD_ENCRYPTION_KEY = env_list("FIELD_ENCRYPTION_KEY", [DEV_SECRETS["FIELD_ENCRYPTION_KEY"]])
TIKTOK_CLIENT_KEY = env_str("TIKTOK_CLIENT_KEY", DEV_SECRETS["TIKTOK_CLIENT_KEY"])
TIKTOK_CLIENT_SECRET = env_str("TIKTOK_CLIENT_SECRET", DEV_SECRETS["TIKTOK_CLIENT_SECRET"])

if not DEBUG:
    _configured = {
        "SECRET_KEY": [SECRET_KEY],
        "JWT_SIGNING_KEY": [JWT_SIGNING_KEY],
        "FIELD_ENCRYPTION_KEY": FIELD_ENCRYPTION_KEY,
        "TIKTOK_CLIENT_KEY": [TIKTOK_CLIENT_KEY],
        "TIKTOK_CLIENT_SECRET": [TIKTOK_CLIENT_SECRET],
    }
    for _name, _values in _configured.items():
        if DEV_SECRETS[_name] in _values:
            raise ImproperlyConfigured(
                f"{_name} still has its development value while DEBUG is off: "
                f"set the {_name} environment variable."
            )
    if SECRET_KEY == JWT_SIGNING_KEY:
        raise ImproperlyConfigured("JWT_SIGNING_KEY must differ from SECRET_KEY.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS", [])
CORS_URLS_REGEX = r"^/api/.*$"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: its `runserver` (closes each request thread's database connections)
    # must win over staticfiles' own.
    "apps.core",
    "django.contrib.staticfiles",
    "corsheaders",
    "ninja",
    "encrypted_model_fields",
    "rest_framework_simplejwt.token_blacklist",
    "apps.audit",
    "apps.workspaces",
    "apps.api_keys",
    "apps.tiktok_accounts",
    "apps.jobs",
    "apps.history",
    "apps.webhooks",
    "apps.videos",
    "apps.posts",
    "apps.events",
    "apps.outbound_webhooks",
    "apps.scheduling",
]
# The fake TikTok and its command (backend/testing): development only, absent from the image.
if DEBUG and importlib.util.find_spec("testing") is not None:
    INSTALLED_APPS.append("testing")

MIDDLEWARE = [
    # Outermost (while tracing is on, OpenTelemetry's own middleware goes before it).
    "apps.core.middleware.HttpMetricsMiddleware",
    "apps.core.middleware.RequestContextMiddleware",
    "apps.core.nul_guard.RejectNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "apps.core.security_headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATA_DIR = Path(env_str("DATA_DIR", str(PROJECT_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}")
DATABASES = {
    # No health check (a `SELECT 1` before each request's first query): a connection that died
    # fails one request, which then closes it (Django closes a connection after an error).
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=False)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a transaction takes the write lock when it starts, so concurrent writers
        # queue on the busy timeout instead of failing with "database is locked" on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not shared-cache memory: worker threads and their own connections see the data.
    # Per process, so two test runs on one machine never share (and corrupt) one file.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["OPTIONS"] = {"connect_timeout": 5}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "tta")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
elif not DEBUG:
    # A per-process cache would break OAuth states (connect/start and /complete may reach
    # different workers) and let each worker keep its own rate-limit counters.
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DEBUG is off: OAuth states and rate-limit counters "
        "must be shared by every server process."
    )
else:
    # Files under DATA_DIR, not local memory: the development server, the Celery worker and
    # beat are separate processes, and a summary invalidated by the worker must be invalidated
    # for the server too. Its counters are not atomic, hence development only.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
# Only a cache every process shares may hold cached reads and users: with local memory a write
# in one process (a worker, a command) could not make another process's copy stale.
CACHE_IS_SHARED = bool(REDIS_URL)
# List pages and the summary are served from the shared cache for up to this long; 0: off.
READ_CACHE_TTL_SECONDS = env_int("READ_CACHE_TTL_SECONDS", 300)

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SIGNUP_ENABLED = env_bool("SIGNUP_ENABLED", True)
SIMPLE_JWT = {
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ALGORITHM": "HS256",
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_TTL_SECONDS", 900, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(
        seconds=env_int("JWT_REFRESH_TTL_SECONDS", 7 * 24 * 3600, minimum=1)
    ),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- TikTok ---------------------------------------------------------------------------------
TIKTOK_REDIRECT_URI = env_str("TIKTOK_REDIRECT_URI", "http://127.0.0.1:8001/demo/callback")
TIKTOK_API_BASE_URL = env_str("TIKTOK_API_BASE_URL", "https://open.tiktokapis.com").rstrip("/")
TIKTOK_AUTHORIZE_URL = env_str("TIKTOK_AUTHORIZE_URL", "https://www.tiktok.com/v2/auth/authorize/")
TIKTOK_TIMEOUT_SECONDS = env_float("TIKTOK_TIMEOUT_SECONDS", 10.0)
# Requested at connect. The profile scopes are required (connect fails without them); the
# video ones are optional: a route that needs a missing one answers TIKTOK_REAUTH_REQUIRED.
TIKTOK_REQUIRED_SCOPES = ["user.info.basic", "user.info.profile", "user.info.stats"]
# video.upload: inbox posts (the creator finishes them in the TikTok app).
TIKTOK_SCOPES = [*TIKTOK_REQUIRED_SCOPES, "video.list", "video.publish", "video.upload"]
# A webhook whose signed timestamp is further than this from now, either way, is refused.
TIKTOK_WEBHOOK_TOLERANCE_SECONDS = env_int("TIKTOK_WEBHOOK_TOLERANCE_SECONDS", 300, minimum=1)
BATCH_SYNC_MAX_WORKERS = env_int("BATCH_SYNC_MAX_WORKERS", 5, minimum=1)
BATCH_SYNC_TIMEOUT_SECONDS = env_float("BATCH_SYNC_TIMEOUT_SECONDS", 30.0)
VIDEO_SYNC_MAX_PAGES = env_int("VIDEO_SYNC_MAX_PAGES", 10, minimum=1)
POST_SCAN_INTERVAL_SECONDS = env_float("POST_SCAN_INTERVAL_SECONDS", 15.0)
POST_STATUS_POLL_SECONDS = env_float("POST_STATUS_POLL_SECONDS", 5.0)
# A post TikTok has not reported final this long after it was sent is failed (status_unknown).
POST_PUBLISH_DEADLINE_SECONDS = env_int("POST_PUBLISH_DEADLINE_SECONDS", 7200, minimum=1)
# An account's creator info is reused this long to validate new posts (TikTok allows 20
# creator-info queries a minute per token); 0 asks TikTok every time.
CREATOR_INFO_CACHE_SECONDS = env_int("CREATOR_INFO_CACHE_SECONDS", 60)
# File uploads (source upload): an upload unfinished this long after creation expires; the
# bytes stored for a workspace's uploads at most; the chunk size clients and TikTok are sent
# (TikTok's rules: 5 MiB to 64,000,000 bytes; a bigger chunk for files that need it).
UPLOAD_EXPIRY_SECONDS = env_int("UPLOAD_EXPIRY_SECONDS", 86400, minimum=60)
UPLOAD_QUOTA_BYTES = env_int("UPLOAD_QUOTA_BYTES", 10 * 1024**3, minimum=1)
UPLOAD_CHUNK_BYTES = env_int("UPLOAD_CHUNK_BYTES", 10 * 1024 * 1024, minimum=5 * 1024 * 1024)
if UPLOAD_CHUNK_BYTES > 64_000_000:
    raise ImproperlyConfigured("UPLOAD_CHUNK_BYTES must be at most 64000000 (TikTok's rule).")

# --- Workspaces -----------------------------------------------------------------------------
# An invitation's token may be accepted for this long after it was created.
INVITATION_TTL_HOURS = env_int("INVITATION_TTL_HOURS", 168, minimum=1)

# --- Background work (Celery; config/celery.py reads every CELERY_* name) --------------------
# The beat schedule, built from the intervals below: apps/scheduling/beat.py.
TIKTOK_REQUESTS_PER_MINUTE = env_int("TIKTOK_REQUESTS_PER_MINUTE", 500, minimum=1)
# The part of that budget background work leaves to requests (integrations/tiktok/budget.py).
TIKTOK_INTERACTIVE_SHARE = env_float("TIKTOK_INTERACTIVE_SHARE", 0.2)
if TIKTOK_INTERACTIVE_SHARE >= 1:
    raise ImproperlyConfigured("TIKTOK_INTERACTIVE_SHARE must be below 1 (a share of the budget).")
TOKEN_REFRESH_INTERVAL_SECONDS = env_int("TOKEN_REFRESH_INTERVAL_SECONDS", 300, minimum=1)
# The one refresh margin: the background refresher, syncs and content calls refresh an access
# token only this close to its expiry (TikTok rotates refresh tokens on every refresh).
TOKEN_REFRESH_AHEAD_SECONDS = env_int("TOKEN_REFRESH_AHEAD_SECONDS", 1800, minimum=1)
SCHEDULED_SYNC_INTERVAL_SECONDS = env_int("SCHEDULED_SYNC_INTERVAL_SECONDS", 900, minimum=1)
SYNC_STALE_AFTER_SECONDS = env_int("SYNC_STALE_AFTER_SECONDS", 21600, minimum=1)
# The scheduled sync also refreshes the videos of accounts that granted video.list.
SCHEDULED_SYNC_VIDEOS = env_bool("SCHEDULED_SYNC_VIDEOS", True)
HISTORY_RETENTION_DAYS = env_int("HISTORY_RETENTION_DAYS", 400, minimum=1)
# Older points are thinned to the last point of each account's UTC day (apps/history/services.py).
HISTORY_RAW_RETENTION_DAYS = env_int("HISTORY_RAW_RETENTION_DAYS", 90, minimum=1)
# Nothing configured: kombu's filesystem transport under DATA_DIR (no server, `make run`).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://localhost//")
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(
    CELERY_BROKER_URL, data_dir=DATA_DIR, key_prefix=CACHE_KEY_PREFIX
)
# --- Outbound webhooks (apps/outbound_webhooks; docs/outbound-webhooks.md) ------------------
# Development and tests only: plain-http endpoints, and loopback or private addresses.
OUTBOUND_WEBHOOKS_ALLOW_HTTP = env_bool("OUTBOUND_WEBHOOKS_ALLOW_HTTP", False)
OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = env_bool("OUTBOUND_WEBHOOKS_ALLOW_PRIVATE", False)
OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = env_float("OUTBOUND_WEBHOOK_TIMEOUT_SECONDS", 10.0)
OUTBOUND_WEBHOOK_RETRY_SCHEDULE = env_seconds_list(
    "OUTBOUND_WEBHOOK_RETRY_SCHEDULE", [5, 300, 1800, 7200, 18000, 36000]
)
OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES = env_int(
    "OUTBOUND_WEBHOOK_DISABLE_AFTER_FAILURES", 5, minimum=1
)
OUTBOUND_WEBHOOK_SECRET_OVERLAP_SECONDS = env_int("OUTBOUND_WEBHOOK_SECRET_OVERLAP_SECONDS", 86400)
OUTBOUND_WEBHOOK_RETENTION_DAYS = env_int("OUTBOUND_WEBHOOK_RETENTION_DAYS", 30, minimum=1)

# --- Rate limits (per user; login per username + IP, and per username) -----------------------
RATE_LIMITS = {
    "sync": env_rate("RATE_LIMIT_SYNC", "10/m"),
    "batch_sync": env_rate("RATE_LIMIT_BATCH_SYNC", "2/m"),
    "connect": env_rate("RATE_LIMIT_CONNECT", "10/m"),
    "read": env_rate("RATE_LIMIT_READ", "120/m"),
    "login": env_rate("RATE_LIMIT_LOGIN", "5/m"),
    "sync_all": env_rate("RATE_LIMIT_SYNC_ALL", "2/m"),
    "post": env_rate("RATE_LIMIT_POST", "6/m"),
    # Workspace, member, invitation, API key and webhook endpoint writes.
    "manage": env_rate("RATE_LIMIT_MANAGE", "10/m"),
    # One username from every address together: caps a brute force spread over many IPs.
    "login_username": env_rate("RATE_LIMIT_LOGIN_USERNAME", "30/h"),
}

# --- HTTP hardening -------------------------------------------------------------------------
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# The one route whose body may be larger: an upload chunk, streamed to storage by its view
# (apps.core.middleware.streams_body), never read whole. The largest chunk is the last one,
# under two chunks.
STREAMED_BODY_PATH = r"^/api/posts/[^/]+/upload$"
STREAMED_BODY_MAX_BYTES = 2 * UPLOAD_CHUNK_BYTES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes and the scraper reach the server itself over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^api/health(/live|/ready)?$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Static files, i18n ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(PROJECT_DIR / "staticfiles")))
if DEBUG:
    # Whitenoise serves from the finders in development but still expects the directory.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded videos until TikTok has them: files under DATA_DIR/uploads, or an S3-compatible
# bucket through django-storages (`pip install "django-storages[s3]"`; credentials from boto3's
# own AWS_* variables or instance role). Their options: config/uploads.py.
UPLOAD_STORAGE = env_str("UPLOAD_STORAGE", "local")
if UPLOAD_STORAGE == "local":
    STORAGES["uploads"] = local_upload_storage(DATA_DIR / "uploads")
elif UPLOAD_STORAGE == "s3":
    if importlib.util.find_spec("storages") is None:
        raise ImproperlyConfigured('UPLOAD_STORAGE=s3 needs: pip install "django-storages[s3]"')
    _bucket = env_str("UPLOAD_S3_BUCKET", "")
    if not _bucket:
        raise ImproperlyConfigured("UPLOAD_STORAGE=s3 needs UPLOAD_S3_BUCKET.")
    STORAGES["uploads"] = s3_upload_storage(
        bucket=_bucket,
        endpoint_url=env_str("UPLOAD_S3_ENDPOINT_URL", "") or None,
        region=env_str("UPLOAD_S3_REGION", "") or None,
    )
else:
    raise ImproperlyConfigured(f"UPLOAD_STORAGE must be local or s3, got {UPLOAD_STORAGE!r}.")
WHITENOISE_USE_FINDERS = DEBUG
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- Metrics and tracing (docs/operations.md#metrics) ---------------------------------------
# GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>`; unset, it answers 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# A Celery worker serves its own /metrics on this port (same token); unset, it serves none.
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0, minimum=0) or None
# Tracing is off unless one of these is set; the exporters read the other OTEL_* themselves.
OTEL_EXPORTER_OTLP_ENDPOINT = env_str("OTEL_EXPORTER_OTLP_ENDPOINT", "")
OTEL_TRACES_EXPORTER = env_list("OTEL_TRACES_EXPORTER", [])
if unknown := set(OTEL_TRACES_EXPORTER) - {"otlp", "console", "none"}:
    raise ImproperlyConfigured(
        f"OTEL_TRACES_EXPORTER must list otlp, console or none, got {sorted(unknown)}."
    )

# --- Logging --------------------------------------------------------------------------------
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, got {LOG_FORMAT!r}.")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "apps.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Our request logger writes the one line per request; Django's would repeat it.
        "django.request": {"level": "CRITICAL"},
        "django.server": {"level": "WARNING"},
        # SQL at DEBUG would print query parameters, and simplejwt stores every refresh token
        # it issues (token_blacklist's outstanding-token table): keep SQL out of the logs.
        "django.db.backends": {"level": "INFO"},
    },
}
