"""Settings shared by every environment.

Environment-specific modules (local, test, production) import * from here and
override. Everything that varies per deployment is read from the environment.
"""

from __future__ import annotations

import importlib.util
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # src/zhiben
# The project root holds data/, var/ and docs/. An installed package may point
# elsewhere with ZHIBEN_HOME.
PROJECT_DIR = Path(os.environ.get("ZHIBEN_HOME", PACKAGE_DIR.parents[1])).resolve()
DATA_DIR = PROJECT_DIR / "data"
VAR_DIR = Path(os.environ.get("ZHIBEN_VAR_DIR", PROJECT_DIR / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SECRET_KEY = os.environ.get("ZHIBEN_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = [h for h in os.environ.get("ZHIBEN_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "zhiben.core",
    "zhiben.audit",
    "zhiben.org",
    "zhiben.registry",
    "zhiben.files",
    "zhiben.notify",
    "zhiben.delivery",
    "zhiben.hazards",
    "zhiben.imports",
    "zhiben.plans",
    "zhiben.inspections",
    "zhiben.tips",
    "zhiben.transport",
    "zhiben.traffic",
    "zhiben.construction",
    "zhiben.civildefence",
    "zhiben.accounts",
    "zhiben.api",
    "zhiben.web",
]

MIDDLEWARE = [
    "zhiben.core.middleware.RequestContextMiddleware",
    "zhiben.core.middleware.DatabaseBusyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "zhiben.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "zhiben.accounts.middleware.SessionTimeoutMiddleware",
    "zhiben.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhiben.config.urls"
WSGI_APPLICATION = "zhiben.config.wsgi.application"
ASGI_APPLICATION = "zhiben.config.asgi.application"

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
                "zhiben.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL switches to PostgreSQL (psycopg 3).

SQLITE_OPTIONS = {
    # Writers take the lock at BEGIN, so concurrent requests queue instead of
    # failing with "database is locked" on lock upgrade.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,  # seconds: busy timeout
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
        "PRAGMA temp_store=MEMORY;"
        "PRAGMA cache_size=-20000;"
    ),
}


# Persistent connections: each server thread keeps its own connection (Django's connections are
# per thread) for this many seconds instead of opening one (and, on SQLite, running the PRAGMAs
# above) for every request; checked before reuse (CONN_HEALTH_CHECKS). SQLite in WAL mode is fine
# with one connection per thread of every worker (4 × 4 by default): readers never block, and
# writers queue on the busy timeout. Each kept connection keeps its page cache (cache_size above:
# up to 20 MB, so at most ~320 MB for 16 connections on a large database). PostgreSQL keeps its
# previous 60 s (its server counts the connections: max_connections must cover workers × threads).
SQLITE_CONN_MAX_AGE = int(os.environ.get("ZHIBEN_CONN_MAX_AGE", 600))
POSTGRES_CONN_MAX_AGE = int(os.environ.get("ZHIBEN_CONN_MAX_AGE", 60))


def database_config(default_sqlite_path: Path) -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        config = dj_database_url.parse(url, conn_max_age=POSTGRES_CONN_MAX_AGE, conn_health_checks=True)
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = dict(SQLITE_OPTIONS)
            config["CONN_MAX_AGE"] = SQLITE_CONN_MAX_AGE
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(default_sqlite_path),
        "OPTIONS": dict(SQLITE_OPTIONS),
        "CONN_MAX_AGE": SQLITE_CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
    }


DATABASES = {"default": database_config(VAR_DIR / "zhiben.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------
# Rate limits (public tip form, tracking lookups) count in the cache, so every process
# of every app server must see the same cache. The served settings (local: `make run`,
# production) use cache_config("database"): a table in the database (Django's
# DatabaseCache; `zhiben setup` and `zhiben serve` create it), shared by all gunicorn
# workers on SQLite and by all app servers on PostgreSQL. With Redis: set
# ZHIBEN_REDIS_URL=redis://host:6379/0 and install the extra: pip install 'zhiben[redis]'.
# Here (and so in the tests, one process) the default is local memory.

CACHE_TABLE = "zhiben_cache"


def cache_config(embedded: str = "memory") -> dict:
    """CACHES: Redis when ZHIBEN_REDIS_URL is set, else ``embedded``: "database" (shared by
    processes) or "memory" (per process)."""
    if os.environ.get("ZHIBEN_REDIS_URL"):
        if importlib.util.find_spec("redis") is None:
            raise ImproperlyConfigured(
                "ZHIBEN_REDIS_URL is set but the redis client is not installed: pip install 'zhiben[redis]'."
            )
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": os.environ["ZHIBEN_REDIS_URL"],
                "KEY_PREFIX": "zhiben",
            }
        }
    if embedded == "database":
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": CACHE_TABLE,
                "KEY_PREFIX": "zhiben",
                "OPTIONS": {"MAX_ENTRIES": 50_000},
            }
        }
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "zhiben"}}


CACHES = cache_config()

# --- Background tasks ---------------------------------------------------------------
# Django's tasks API (the django-tasks backport of django.tasks); docs/architecture.md, "Background
# work". ZHIBEN_TASKS_BACKEND: "database" (default: a table in Zhiben's own database, worked by
# `zhiben worker`; SQLite and PostgreSQL, no extra server), "rq" (Redis through RQ, for several app
# servers: ZHIBEN_REDIS_URL and pip install 'zhiben[redis]'; workers are `zhiben worker` too) or
# "immediate" (run at once in the enqueuing process: scripts and debugging only). Two queues:
# "default" for short work (deliveries, the periodic tick), "long" for imports and big exports, so
# that a long import never holds up a reminder.

TASK_QUEUES = ["default", "long"]


def tasks_config(kind: str | None = None) -> dict:
    kind = (kind or os.environ.get("ZHIBEN_TASKS_BACKEND") or "database").strip().lower()
    if kind == "database":
        backend = "django_tasks_db.DatabaseBackend"
    elif kind == "immediate":
        backend = "django_tasks.backends.immediate.ImmediateBackend"
    elif kind == "rq":
        if importlib.util.find_spec("django_tasks_rq") is None:
            raise ImproperlyConfigured("ZHIBEN_TASKS_BACKEND=rq needs the redis extra: pip install 'zhiben[redis]'.")
        if not os.environ.get("ZHIBEN_REDIS_URL"):
            raise ImproperlyConfigured("ZHIBEN_TASKS_BACKEND=rq needs ZHIBEN_REDIS_URL=redis://host:6379/0.")
        backend = "django_tasks_rq.RQBackend"
    else:
        raise ImproperlyConfigured(f"ZHIBEN_TASKS_BACKEND must be database, rq or immediate, not {kind!r}.")
    return {"default": {"BACKEND": backend, "QUEUES": list(TASK_QUEUES)}}


TASKS = tasks_config()
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {name: {"URL": os.environ["ZHIBEN_REDIS_URL"], "DEFAULT_TIMEOUT": 3600} for name in TASK_QUEUES}

# --- Auth -----------------------------------------------------------------------

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:workspace"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "zhiben.accounts.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "zhiben.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "zhiben.accounts.validators.NotUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Lockout: 5 failures per account + client IP lock that pair for 15 minutes.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "zhiben.accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "zhiben.core.context.client_ip_from_request"
AXES_VERBOSE = False

# Sessions: 30 minutes idle, 12 hours absolute (enforced by SessionTimeoutMiddleware).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "zhiben.web.views.csrf_failure"

# TOTP second factor. When true, 区安委办管理员 must pass a TOTP check after the
# password (and enrol first if they have no device). Anyone who has enrolled a
# device is always asked for it.
ZHIBEN_REQUIRE_ADMIN_2FA = env_bool("ZHIBEN_REQUIRE_ADMIN_2FA", False)
OTP_TOTP_ISSUER = "治本 Zhiben"

# --- Security headers -------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"

# --- I18N -------------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Input formats ISO first, so date inputs render values a browser can show.
FORMAT_MODULE_PATH = ["zhiben.config.formats"]

# --- Static and media -------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Keys for personal data encrypted at rest (phone numbers, tip reporters):
# comma-separated Fernet keys, newest first (older ones still decrypt). When
# empty, a key is derived from SECRET_KEY (fine for the demo; production must
# set its own so that rotating SECRET_KEY does not lose data).
ZHIBEN_FIELD_KEYS = os.environ.get("ZHIBEN_FIELD_KEYS", "")

# Key of the audit chain (HMAC-SHA256 over each row): at least 32 random
# characters, kept outside the database and never changed (every row would
# fail verification). When empty, derived from SECRET_KEY (demo, tests);
# production refuses to start without it. See docs/operations.md.
ZHIBEN_AUDIT_KEY = os.environ.get("ZHIBEN_AUDIT_KEY", "")

# Evidence uploads (photos and PDFs): size limit per file.
ZHIBEN_UPLOAD_MAX_BYTES = int(os.environ.get("ZHIBEN_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
# Photos: pixel caps checked from the header before decoding, and how many decodes
# run at once per process (files/services.py explains the numbers).
ZHIBEN_UPLOAD_MAX_PIXELS = int(os.environ.get("ZHIBEN_UPLOAD_MAX_PIXELS", 52_000_000))
ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE = int(os.environ.get("ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE", 16_000_000))
ZHIBEN_IMAGE_DECODE_SLOTS = int(os.environ.get("ZHIBEN_IMAGE_DECODE_SLOTS", 2))
ZHIBEN_IMAGE_DECODE_WAIT = float(os.environ.get("ZHIBEN_IMAGE_DECODE_WAIT", 15))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Mail and links (delivery: e-mail channel, docs/delivery.md) ---------------------
# SMTP from the environment; the demo (local.py) prints mails to the console instead.
EMAIL_BACKEND = os.environ.get("ZHIBEN_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("ZHIBEN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("ZHIBEN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ZHIBEN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ZHIBEN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ZHIBEN_EMAIL_TLS", False)
EMAIL_USE_SSL = env_bool("ZHIBEN_EMAIL_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("ZHIBEN_EMAIL_FROM", "治本平台 <noreply@localhost>")
# The public address of the site, for links in e-mails and webhook payloads.
ZHIBEN_BASE_URL = os.environ.get("ZHIBEN_BASE_URL", "http://127.0.0.1:8000")

# --- Logging ----------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- API ----------------------------------------------------------------------------

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500
