"""Production settings: everything sensitive comes from the environment.

Required: ZHIBEN_SECRET_KEY, ZHIBEN_FIELD_KEYS, ZHIBEN_AUDIT_KEY, ZHIBEN_ALLOWED_HOSTS, DATABASE_URL (PostgreSQL).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import cache_config, env_bool

DEBUG = False
if not SECRET_KEY or len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("ZHIBEN_SECRET_KEY must be set to a random string of at least 50 characters.")
if not ZHIBEN_FIELD_KEYS:  # noqa: F405
    raise ImproperlyConfigured("ZHIBEN_FIELD_KEYS must hold the Fernet key(s) that encrypt personal data at rest.")
if len(ZHIBEN_AUDIT_KEY.strip()) < 32:  # noqa: F405
    raise ImproperlyConfigured(
        "ZHIBEN_AUDIT_KEY must be set to a random string of at least 32 characters (the audit chain's HMAC key)."
    )
if not ALLOWED_HOSTS:  # noqa: F405
    raise ImproperlyConfigured("ZHIBEN_ALLOWED_HOSTS must list the host names Zhiben is served on.")

# Rate limits shared by every worker of every app server: Redis (ZHIBEN_REDIS_URL) or a database table.
CACHES = cache_config("database")

ZHIBEN_REQUIRE_ADMIN_2FA = env_bool("ZHIBEN_REQUIRE_ADMIN_2FA", True)

# Proxies in front that append to X-Forwarded-For (1 behind one nginx, docs/deploy.md): the client IP of
# audit rows, rate limits and lockouts is read that many entries from the right (core/context.py).
ZHIBEN_TRUSTED_PROXY_COUNT = int(os.environ.get("ZHIBEN_TRUSTED_PROXY_COUNT", 0))

SECURE_SSL_REDIRECT = env_bool("ZHIBEN_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("ZHIBEN_HSTS_SECONDS", 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
