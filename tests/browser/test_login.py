"""Log in as a department officer, see the workspace, log out; a wrong
password shows the Chinese error; five failures lock the account."""

from __future__ import annotations

import pytest

from zhiben.core.testing import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_officer_logs_in_sees_workspace_and_logs_out(page, live_server, users):
    _login(page, live_server, "t_officer", PASSWORD)
    page.wait_for_url(f"{live_server.url}/workspace/")
    assert page.text_content("[data-testid=workspace-title]") == "工作台"
    assert "区商务委" in page.content()
    assert page.text_content("[data-testid=current-user]").strip() == "t_officer"
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/workspace/")
    assert "/accounts/login/" in page.url


def test_wrong_password_then_lockout(page, live_server, users):
    _login(page, live_server, "t_officer", "Wrong#Password1")
    assert "账号或密码错误" in page.text_content("[data-testid=login-error]")
    for _ in range(4):
        _login(page, live_server, "t_officer", "Wrong#Password1")
    assert "已锁定 15 分钟" in page.text_content("[data-testid=login-error]")
    _login(page, live_server, "t_officer", PASSWORD)
    assert "已锁定" in page.text_content("[data-testid=login-error]")
    assert "/accounts/login/" in page.url
