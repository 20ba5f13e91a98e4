"""The web shell: the workspace per role, the login redirect, one's own
password, the Chinese error pages. (User administration: tests/org/test_pages.py;
the audit log: tests/audit/test_pages.py.)"""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(db):
    response = Client().get("/workspace/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    login_page = Client().get("/accounts/login/").content.decode()
    assert "登录" in login_page and 'lang="zh-CN"' in login_page


@pytest.mark.parametrize(
    "role", ["admin", "leader", "officer", "section", "street", "enterprise", "expert", "readonly"]
)
def test_workspace_shows_the_users_memberships_and_menu(users, login, role):
    html = login(users[role]).get("/workspace/").content.decode()
    membership = users[role].active_memberships()[0]
    assert membership.get_role_display() in html
    assert str(membership.organization) in html
    assert ("用户管理" in html) == (role == "admin")
    assert ("审计日志" in html) == (role == "admin")


def test_self_service_password_change(users, login):
    client = login(users["officer"])
    wrong = client.post(
        "/accounts/password/",
        {"old_password": "nope", "new_password": "Brand#New2024", "new_password2": "Brand#New2024"},
    )
    assert "原密码不正确" in wrong.content.decode()
    ok = client.post(
        "/accounts/password/",
        {"old_password": "Test@Pass2024", "new_password": "Brand#New2024", "new_password2": "Brand#New2024"},
    )
    assert ok.status_code == 302
    assert client.get("/workspace/").status_code == 200  # session kept after own change
    users["officer"].refresh_from_db()
    assert users["officer"].check_password("Brand#New2024")


def test_error_pages_are_chinese(users, login):
    response = login(users["officer"]).get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    api = login(users["officer"]).get("/api/v1/no-such-endpoint")
    assert api.status_code == 404 and api.json()["code"] == "not_found"
