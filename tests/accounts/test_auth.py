"""Authentication hardening: password policy, lockout, timeouts, disabled
accounts, TOTP."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiben.accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN
from zhiben.audit.models import AuditEvent
from zhiben.core.testing import PASSWORD
from zhiben.org.models import User
from zhiben.org.services import user_set_active

pytestmark = pytest.mark.django_db


# --- Password policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Ab1!ab1!a", "至少包含 10 个字符"),  # 9 characters
        ("abcdefghij12", "至少3类"),  # two classes
        ("ABCDEFGH1234", "至少3类"),
        ("Zhang.San2024", "不能包含登录账号"),
    ],
)
def test_password_policy_rejects(password, problem):
    user = User(username="zhang.san")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        validate_password(password, user)
    with translation.override("zh-hans"):
        messages = [str(m) for m in exc.value.messages]
    assert any(problem in m for m in messages), messages


@pytest.mark.parametrize("password", ["Hongkou#2024", "anquan-shengchan-9", "ZHIBEN_gongjian7"])
def test_password_policy_accepts(password):
    validate_password(password, User(username="zhang.san"))


# --- Login, lockout ---------------------------------------------------------------------------


def _login(client: Client, username: str, password: str, ip: str = "192.0.2.10"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_and_logout_are_audited(users):
    client = Client()
    response = _login(client, "t_officer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/workspace/"
    assert AuditEvent.objects.filter(action="auth.login", actor=users["officer"]).exists()
    client.post("/accounts/logout/")
    assert AuditEvent.objects.filter(action="auth.logout", actor=users["officer"]).exists()


def test_wrong_password_shows_chinese_error_and_is_audited(users):
    response = _login(Client(), "t_officer", "wrong-Password1")
    assert response.status_code == 200
    assert "账号或密码错误" in response.content.decode()
    event = AuditEvent.objects.filter(action="auth.login_failed").get()
    assert event.actor_name == "t_officer" and event.client_ip == "192.0.2.10"


def test_five_failures_lock_account_and_ip_for_fifteen_minutes(users):
    client = Client()
    for _ in range(4):
        assert _login(client, "t_officer", "wrong-Password1").status_code == 200
    locked = _login(client, "t_officer", "wrong-Password1")
    assert locked.status_code == 403
    assert "已锁定 15 分钟" in locked.content.decode()
    # Even the right password is refused while locked …
    assert _login(client, "t_officer", PASSWORD).status_code == 403
    # … but from another address the account still works (account + IP).
    assert _login(Client(), "t_officer", PASSWORD, ip="192.0.2.99").status_code == 302
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    # After 15 minutes the lock expires.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login(Client(), "t_officer", PASSWORD).status_code == 302


def test_lock_is_per_account(users):
    client = Client()
    for _ in range(5):
        _login(client, "t_officer", "wrong-Password1")
    assert _login(client, "t_leader", PASSWORD).status_code == 302


# --- Session timeouts ---------------------------------------------------------------------------


def _age_session(client: Client, *, seen_ago: float, auth_ago: float) -> None:
    session = client.session
    now = time.time()
    session[SESSION_SEEN] = now - seen_ago
    session[SESSION_AUTH_AT] = now - auth_ago
    session.save()


def test_idle_session_expires_after_thirty_minutes(users):
    client = Client()
    _login(client, "t_officer", PASSWORD)
    _age_session(client, seen_ago=29 * 60, auth_ago=29 * 60)
    assert client.get("/workspace/").status_code == 200
    _age_session(client, seen_ago=31 * 60, auth_ago=31 * 60)
    response = client.get("/workspace/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/workspace/").status_code == 302  # the session is gone
    assert AuditEvent.objects.filter(action="auth.session_expired", after__reason="idle").exists()


def test_session_ends_twelve_hours_after_login_even_when_active(users):
    client = Client()
    _login(client, "t_officer", PASSWORD)
    _age_session(client, seen_ago=10, auth_ago=12 * 3600 + 5)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"


def test_activity_keeps_idle_session_alive(users):
    client = Client()
    _login(client, "t_officer", PASSWORD)
    _age_session(client, seen_ago=25 * 60, auth_ago=50 * 60)
    assert client.get("/workspace/").status_code == 200
    assert time.time() - client.session[SESSION_SEEN] < 5


def test_disabling_an_account_ends_its_session(users):
    client = Client()
    _login(client, "t_officer", PASSWORD)
    assert client.get("/workspace/").status_code == 200
    user_set_active(actor=users["admin"], user=users["officer"], active=False, reason="离职")
    response = client.get("/workspace/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # A disabled account cannot log in (the message does not say whether it exists).
    assert "账号或密码错误" in _login(Client(), "t_officer", PASSWORD).content.decode()


def test_password_reset_by_admin_ends_sessions(users):
    from zhiben.org.services import user_reset_password

    client = Client()
    _login(client, "t_officer", PASSWORD)
    user_reset_password(actor=users["admin"], user=users["officer"], new_password="Another#Pass99")
    assert client.get("/workspace/").status_code == 302


# --- TOTP --------------------------------------------------------------------------------------


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"


def test_user_can_enrol_totp_and_is_asked_for_it_at_next_login(users, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # throttling after a failure is django-otp's, tested there
    client = Client()
    _login(client, "t_officer", PASSWORD)
    page = client.get("/accounts/otp/setup/")
    assert page.status_code == 200 and "data:image/svg+xml;base64," in page.content.decode()
    device = TOTPDevice.objects.get(user=users["officer"], confirmed=False)
    bad = client.post("/accounts/otp/setup/", {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "验证码不正确" in bad.content.decode()
    assert client.post("/accounts/otp/setup/", {"token": _code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action="totp.enrol", actor=users["officer"]).exists()

    fresh = Client()
    response = _login(fresh, "t_officer", PASSWORD)
    assert response.status_code == 302
    gated = fresh.get("/workspace/")
    assert gated.status_code == 302 and gated["Location"].startswith("/accounts/otp/verify/")
    assert fresh.get("/api/v1/me").json()["code"] == "otp_required"
    device.refresh_from_db()
    wrong = fresh.post("/accounts/otp/verify/", {"token": "123456" if _code(device) != "123456" else "654321"})
    assert "验证码不正确" in wrong.content.decode()
    # A code is accepted once only; the next time step's code is good.
    assert fresh.post("/accounts/otp/verify/", {"token": _code(device, offset=1)}).status_code == 302
    assert fresh.get("/workspace/").status_code == 200


def test_admin_must_enrol_when_setting_requires_it(users, settings):
    settings.ZHIBEN_REQUIRE_ADMIN_2FA = True
    client = Client()
    _login(client, "t_admin", PASSWORD)
    response = client.get("/workspace/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/setup/")
    # Officers are not affected by the admin rule.
    officer = Client()
    _login(officer, "t_officer", PASSWORD)
    assert officer.get("/workspace/").status_code == 200


def test_admin_without_setting_is_not_forced(users, settings):
    settings.ZHIBEN_REQUIRE_ADMIN_2FA = False
    client = Client()
    _login(client, "t_admin", PASSWORD)
    assert client.get("/workspace/").status_code == 200


# --- Headers and CSRF -----------------------------------------------------------------------------


def test_security_headers(users, login):
    response = login(users["officer"]).get("/workspace/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Request-ID"]


def test_csrf_is_enforced_on_forms_and_api(users):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "t_officer", "password": PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.content.decode()
    client.force_login(users["admin"])
    api = client.post(
        f"/api/v1/users/{users['officer'].pk}/active",
        data={"active": False, "reason": "x"},
        content_type="application/json",
    )
    assert api.status_code in (401, 403)
    users["officer"].refresh_from_db()
    assert users["officer"].is_active
