"""Settings: SQLite tuning, locale, production hardening."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_sqlite_pragmas_are_effective():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def _run_with_production_settings(*args: str, **overrides: str) -> subprocess.CompletedProcess:
    # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE in this process;
    # a deployment never has it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.production",
        "ZHIBEN_SECRET_KEY": "p" * 20 + "roduction-secret-key-for-the-deploy-check-0123456789",
        "ZHIBEN_ALLOWED_HOSTS": "zhiben.hongkou.gov.cn",
        "ZHIBEN_FIELD_KEYS": "Cz0yt3pu2Ow7BqHYX8Pa0Yl1QMp5cU1bw3zBjAo-3nM=",
        "ZHIBEN_AUDIT_KEY": "audit-key-for-the-deploy-check-0123456789abcdef",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:////tmp/zhiben-deploy-check.sqlite3"),
        **overrides,
    }
    return subprocess.run([sys.executable, "-m", "zhiben", *args], env=env, capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = _run_with_production_settings("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_requires_admin_second_factor_and_strong_hashing():
    result = _run_with_production_settings(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.ZHIBEN_REQUIRE_ADMIN_2FA, settings.PASSWORD_HASHERS[0])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.production"}
    env.pop("ZHIBEN_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-m", "zhiben", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "ZHIBEN_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_an_audit_key():
    result = _run_with_production_settings("check", ZHIBEN_AUDIT_KEY="too-short")
    assert result.returncode != 0
    assert "ZHIBEN_AUDIT_KEY" in result.stderr


def test_redis_url_selects_the_shared_cache():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test", "ZHIBEN_REDIS_URL": "redis://127.0.0.1:6379/0"}
    )
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-m", "zhiben", "shell", "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.redis.RedisCache"


def _local_settings(code: str, **overrides: str) -> str:
    """Print from the demo settings (what `make run` uses) in a fresh interpreter."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "ZHIBEN_REDIS_URL", "DATABASE_URL", "ZHIBEN_DEV_SERVER"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "zhiben.config.settings.local", **overrides})
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_embedded_cache_is_shared_by_every_worker_process(tmp_path):
    """Without Redis the rate limits count in a database table, not in each process's memory."""
    backend = _local_settings("print(settings.CACHES['default']['BACKEND'])", ZHIBEN_VAR_DIR=str(tmp_path))
    assert backend == "django.core.cache.backends.db.DatabaseCache"


def test_sqlite_connections_persist_with_health_checks(tmp_path):
    """Every request reusing its thread's connection instead of reconnecting (and re-running the PRAGMAs)."""
    code = "d = settings.DATABASES['default']; print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    engine, max_age, health = _local_settings(code, ZHIBEN_VAR_DIR=str(tmp_path)).split()
    assert engine == "django.db.backends.sqlite3" and int(max_age) >= 60 and health == "True"
    through_url = _local_settings(code, ZHIBEN_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    assert through_url.split()[1:] == [max_age, "True"]


def test_demo_serves_hashed_static_files_and_the_development_server_the_plain_ones(tmp_path):
    code = "print(settings.STORAGES['staticfiles']['BACKEND'])"
    assert (
        _local_settings(code, ZHIBEN_VAR_DIR=str(tmp_path)) == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    dev = _local_settings(code, ZHIBEN_VAR_DIR=str(tmp_path), ZHIBEN_DEV_SERVER="1")
    assert dev == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_production_cache_is_shared_without_redis():
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = _run_with_production_settings("shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "django.core.cache.backends.db.DatabaseCache"
