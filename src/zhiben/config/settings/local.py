"""Local / demo settings: `make run` on a laptop, SQLite under var/.

The demo runs with DEBUG off, like a real deployment: visitors get the Chinese
error pages, never Django's technical pages (URL patterns, tracebacks,
settings). A developer who wants those sets ZHIBEN_DEBUG=1 explicitly.
Static files are served by WhiteNoise straight from the app directories
(WHITENOISE_USE_FINDERS), so CSS and JS work without DEBUG and without
collectstatic.
"""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, env_bool

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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
