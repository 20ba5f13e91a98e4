"""Local / demo settings: `make run` on a laptop, SQLite under var/.

The demo runs with DEBUG off, like a real deployment: visitors get the Chinese
error pages, never Django's technical pages (URL patterns, tracebacks,
settings). A developer who wants those sets ZHIBEN_DEBUG=1 explicitly.
Static files are served by WhiteNoise (see the static section below), so CSS
and JS work without DEBUG.
"""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, cache_config, env_bool

DEBUG = env_bool("ZHIBEN_DEBUG", False)
SECRET_KEY = os.environ.get("ZHIBEN_SECRET_KEY") or "zhiben-local-demo-key-not-for-production-use-0123456789"
# The laptop's own names; a demo served on the LAN (make run HOST=0.0.0.0:8000)
# adds its address with ZHIBEN_ALLOWED_HOSTS=192.168.1.20,zhiben.local
ALLOWED_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "testserver",
    *(h.strip() for h in os.environ.get("ZHIBEN_ALLOWED_HOSTS", "").split(",") if h.strip()),
]
VAR_DIR.mkdir(parents=True, exist_ok=True)
# Rate limits shared by the server's worker processes (base.py, cache section).
CACHES = cache_config("database")
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# `zhiben dev` (Django's development server, ZHIBEN_DEV_SERVER=1): static files straight from the app
# directories, re-read on change, no collectstatic. Everything else (`zhiben serve`): the collected
# files with content hashes in their names (collected by `zhiben setup`, or by `zhiben serve` when
# var/static has no manifest yet), served by WhiteNoise with a one-year immutable Cache-Control; a file
# missing from the manifest still works under its plain name (served from the app directories).
if env_bool("ZHIBEN_DEV_SERVER"):
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    WHITENOISE_AUTOREFRESH = DEBUG
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_USE_FINDERS = True
# The demo sends no mail: e-mails (消息接收设置 → 邮件) are printed on the server's console.
EMAIL_BACKEND = os.environ.get("ZHIBEN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
