"""Test settings: SQLite file (so WAL and PRAGMAs are real) or DATABASE_URL."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import DATABASES

SECRET_KEY = "zhiben-test-key-0123456789-abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["*"]
# Fast hashing in tests; the production hasher list is asserted separately.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

_test_dir = Path(os.environ.get("ZHIBEN_TEST_TMP", tempfile.gettempdir())) / "zhiben-tests"
_test_dir.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = _test_dir / "media"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so journal_mode=WAL is real in tests too.
    DATABASES["default"]["TEST"] = {"NAME": str(_test_dir / "test.sqlite3")}

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
STATIC_ROOT = _test_dir / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
