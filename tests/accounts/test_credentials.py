"""What ends a user's access: a password change or reset revokes their
tokens; disabling revokes tokens and ends sessions for good (re-enabling
revives neither); a token of a user obliged to use TOTP works only after
enrolment; ``last_used_at`` is written at most every 5 minutes and never
fails a request."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError, connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiben.accounts.models import PersonalAccessToken
from zhiben.accounts.services import LAST_USED_INTERVAL, token_authenticate, token_create
from zhiben.audit.models import AuditEvent
from zhiben.core.testing import PASSWORD
from zhiben.org.services import user_change_password, user_reset_password, user_set_active

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another#Pass99"


def _me(token: str):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def _session(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_password_change_revokes_tokens(users):
    _, full = token_create(actor=users["officer"], name="对接", days=30)
    assert _me(full).status_code == 200
    user_change_password(actor=users["officer"], old_password=PASSWORD, new_password=NEW_PASSWORD)
    response = _me(full)
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert PersonalAccessToken.objects.get(user=users["officer"]).status_label == "已撤销"
    event = AuditEvent.objects.get(action="account.credentials_revoke")
    assert event.object_id == str(users["officer"].pk) and event.reason == "密码已修改"


def test_password_change_page_keeps_own_session_and_says_tokens_were_revoked(users):
    client = _session("t_officer")
    token_create(actor=users["officer"], name="对接", days=30)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert "访问令牌已全部撤销" in response.content.decode()
    assert client.get("/workspace/").status_code == 200
    assert not PersonalAccessToken.objects.filter(user=users["officer"], revoked_at__isnull=True).exists()


def test_admin_password_reset_revokes_tokens(users):
    _, full = token_create(actor=users["officer"], name="对接", days=30)
    user_reset_password(actor=users["admin"], user=users["officer"], new_password=NEW_PASSWORD)
    assert _me(full).status_code == 401


def test_rehash_at_login_does_not_revoke_tokens(users, settings):
    """A password re-hashed with a newer hasher at login is not a change."""
    _, full = token_create(actor=users["officer"], name="对接", days=30)
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    _session("t_officer")
    users["officer"].refresh_from_db()
    assert users["officer"].password.startswith("pbkdf2_sha1$")
    assert _me(full).status_code == 200


def test_reenabling_an_account_revives_neither_sessions_nor_tokens(users):
    client = _session("t_officer")
    _, full = token_create(actor=users["officer"], name="对接", days=30)
    assert client.get("/api/v1/me").status_code == 200 and _me(full).status_code == 200
    user_set_active(actor=users["admin"], user=users["officer"], active=False, reason="离职")
    assert _me(full).status_code == 401
    user_set_active(actor=users["admin"], user=users["officer"], active=True)
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/workspace/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert _me(full).status_code == 401
    event = AuditEvent.objects.get(action="account.credentials_revoke")
    assert event.after["sessions"] == 1 and event.reason == "账号停用"
    # Other users' sessions are untouched.
    admin = _session("t_admin")
    user_set_active(actor=users["admin"], user=users["officer"], active=False, reason="再次停用")
    assert admin.get("/workspace/").status_code == 200


def test_disabled_before_the_fix_migration_ends_old_credentials(users):
    """The data migration revokes what accounts disabled earlier still held."""
    from importlib import import_module

    from django.apps import apps

    from zhiben.org.models import User

    client = _session("t_officer")
    _, full = token_create(actor=users["officer"], name="对接", days=30)
    User.objects.filter(pk=users["officer"].pk).update(is_active=False)  # bypasses the signals, like old code
    migration = import_module("zhiben.accounts.migrations.0003_end_credentials_of_disabled_users")
    migration.end_credentials(apps, None)
    User.objects.filter(pk=users["officer"].pk).update(is_active=True)
    assert _me(full).status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_admin_token_needs_totp_enrolment_when_required(users, settings):
    settings.ZHIBEN_REQUIRE_ADMIN_2FA = True
    _, full = token_create(actor=users["admin"], name="对接", days=30)
    response = _me(full)
    assert response.status_code == 401
    assert response.json()["code"] == "otp_required"
    assert "绑定身份验证器" in response.json()["message"]
    TOTPDevice.objects.create(user=users["admin"], name="身份验证器", confirmed=True)
    assert _me(full).status_code == 200
    # Officers are not bound by the admin rule.
    _, officer = token_create(actor=users["officer"], name="对接", days=30)
    assert _me(officer).status_code == 200


def test_admin_token_works_without_totp_when_not_required(users, settings):
    settings.ZHIBEN_REQUIRE_ADMIN_2FA = False
    _, full = token_create(actor=users["admin"], name="对接", days=30)
    assert _me(full).status_code == 200


# --- last_used_at --------------------------------------------------------------------------------


def test_last_used_at_is_written_at_most_every_five_minutes(users):
    token, full = token_create(actor=users["officer"], name="对接", days=30)
    token_authenticate(full)
    token.refresh_from_db()
    assert token.last_used_at is not None
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=two_minutes_ago)
    token_authenticate(full)
    token.refresh_from_db()
    assert token.last_used_at == two_minutes_ago
    earlier = timezone.now() - LAST_USED_INTERVAL - timedelta(seconds=1)
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    token_authenticate(full)
    token.refresh_from_db()
    assert token.last_used_at > earlier


def test_a_failed_last_used_write_does_not_fail_the_request(users):
    _, full = token_create(actor=users["officer"], name="对接", days=30)
    with mock.patch("django.db.models.query.QuerySet.update", side_effect=DatabaseError("database is locked")):
        response = _me(full)
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_token_reads_succeed_quickly_while_another_writer_holds_sqlite(users):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: one writer at a time")
    _, full = token_create(actor=users["officer"], name="对接", days=30)
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=1)
    try:
        other.execute("BEGIN IMMEDIATE")  # an import holding the write lock
        started = timezone.now()
        response = _me(full)
        elapsed = (timezone.now() - started).total_seconds()
    finally:
        other.rollback()
        other.close()
    assert response.status_code == 200
    assert elapsed < 3
    assert PersonalAccessToken.objects.get(user=users["officer"]).last_used_at is None
