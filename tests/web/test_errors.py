"""The demo (`make run`) runs with DEBUG off and shows Chinese error pages;
a favicon is shipped (issue 9, item 5)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from zhiben.web import views

TECHNICAL = ("Using the URLconf", "Traceback", "django.urls", "DEBUG = True", "Request Method")


def _local_debug(**env) -> str:
    code = "import zhiben.config.settings.local as s; print(s.DEBUG)"
    clean = {k: v for k, v in os.environ.items() if k not in {"ZHIBEN_DEBUG", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_demo_settings_have_debug_off_unless_a_developer_sets_it(tmp_path):
    assert _local_debug(ZHIBEN_VAR_DIR=str(tmp_path)) == "False"
    assert _local_debug(ZHIBEN_VAR_DIR=str(tmp_path), ZHIBEN_DEBUG="1") == "True"
    assert _local_debug(ZHIBEN_VAR_DIR=str(tmp_path), ZHIBEN_DEBUG="0") == "False"


@pytest.mark.django_db
@pytest.mark.parametrize("logged_in", [False, True])
def test_404_is_a_chinese_page_without_technical_details(users, login, logged_in):
    client = login(users["officer"]) if logged_in else Client()
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html and 'lang="zh-CN"' in html
    assert "zhiben/zhiben.css" in html and "favicon" in html  # the look of every other page
    assert not any(marker in html for marker in TECHNICAL)


@pytest.mark.django_db
def test_403_shows_the_reason_in_chinese(users, login):
    response = login(users["officer"]).get("/admin-users/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "无权访问" in html and "仅区安委办管理员可访问" in html


def test_400_and_500_pages_need_no_database():
    """No django_db mark: any query here fails the test."""
    request = RequestFactory().get("/hazards/1/")
    response = views.error_500(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器内部错误" in html and "zhiben/zhiben.css" in html
    response = views.error_400(request)
    assert response.status_code == 400 and "请求有误" in response.content.decode()


@pytest.mark.django_db
def test_500_page_when_the_database_is_gone(monkeypatch, users):
    def broken(*args, **kwargs):
        raise RuntimeError("database unavailable")

    client = Client(raise_request_exception=False)
    client.force_login(users["officer"])
    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/workspace/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器内部错误" in html
    assert not any(marker in html for marker in TECHNICAL)


def test_api_errors_keep_the_json_shape():
    request = RequestFactory().get("/api/v1/nothing")
    response = views.error_404(request)
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert json.loads(response.content)["code"] == "not_found"


@pytest.mark.django_db
def test_favicon_is_served(users, login):
    response = Client().get("/favicon.ico", follow=True)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    page = login(users["officer"]).get("/workspace/").content.decode()
    assert "zhiben/favicon.ico" in page and "zhiben/favicon.svg" in page


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # the first waits for a worker to boot
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_make_run_serves_static_files_and_chinese_errors_with_debug_off(tmp_path):
    """`zhiben serve` with the demo settings (what `make run` starts): CSS and JS
    still load with DEBUG off, a missing page is the Chinese 404."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"ZHIBEN_DEBUG", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="zhiben.config.settings.local",
        ZHIBEN_VAR_DIR=str(tmp_path),
        # Only the web server: this is about static files and error pages (tests/core/test_serve.py
        # covers the workers and the scheduler); fewer processes booting on a busy CI box.
        ZHIBEN_TASK_WORKERS="0",
        ZHIBEN_SCHEDULER="0",
    )
    zhiben_cli = Path(sys.executable).with_name("zhiben")
    command = [str(zhiben_cli)] if zhiben_cli.exists() else [sys.executable, "-m", "zhiben"]
    server = subprocess.Popen(
        [*command, "serve", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        for path in (
            "/static/vendor/bootstrap/bootstrap.min.css",
            "/static/vendor/bootstrap/bootstrap.bundle.min.js",
            "/static/zhiben/zhiben.css",
            "/favicon.ico",
        ):
            status, body = _get(base + path)
            assert status == 200 and body, path
        status, body = _get(base + "/no-such-page/")
        html = body.decode()
        assert status == 404 and "页面不存在" in html
        assert not any(marker in html for marker in TECHNICAL)
    finally:
        server.terminate()
        server.wait(timeout=10)
