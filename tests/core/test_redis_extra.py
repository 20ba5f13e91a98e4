"""`redis` is an optional extra (pip install 'zhiben[redis]'): needed only when ZHIBEN_REDIS_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys

# Runs `zhiben check` in a fresh interpreter where `import redis` fails, as on an install without the extra.
WITHOUT_REDIS = "import sys; sys.modules['redis'] = None; from zhiben.cli import main; main(['zhiben', 'check'])"


def _run_without_redis(**extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "ZHIBEN_REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test", **extra_env})
    return subprocess.run([sys.executable, "-c", WITHOUT_REDIS], env=env, capture_output=True, text=True, timeout=120)


def test_zhiben_runs_without_the_redis_client_when_no_redis_url_is_set():
    result = _run_without_redis()
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_redis_url_without_the_redis_client_stops_with_a_clear_message():
    result = _run_without_redis(ZHIBEN_REDIS_URL="redis://127.0.0.1:6379/0")
    assert result.returncode != 0
    assert "ZHIBEN_REDIS_URL is set but the redis client is not installed: pip install 'zhiben[redis]'" in result.stderr
