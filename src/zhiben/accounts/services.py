"""Service functions for access tokens, the TOTP second factor and the end of
a user's credentials.

What ends a user's access (see ``signals.py``, which calls
``credentials_revoke`` whenever a ``User`` is saved):

- a password change or an administrator's reset revokes every personal access
  token (other sessions end because the session hash changes);
- disabling an account revokes every token *and* deletes the user's sessions,
  so re-enabling it later revives neither;
- a token of a user who must use TOTP (区安委办管理员 under
  ``ZHIBEN_REQUIRE_ADMIN_2FA``) is refused until the user has enrolled.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiben.audit.services import audit_record
from zhiben.core.errors import ConflictError, ServiceError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.models import User

from . import access, selectors
from .models import TOKEN_PREFIX, PersonalAccessToken, hash_secret

logger = logging.getLogger(__name__)

MAX_TOKEN_DAYS = 365
# ``last_used_at`` is written at most this often per token, so that reads
# with a token do not each need the write lock.
LAST_USED_INTERVAL = timedelta(minutes=5)
# How long a ``last_used_at`` write may wait for a busy SQLite database
# before it is skipped (the request goes on either way).
LAST_USED_BUSY_MS = 200


class SecondFactorRequired(ServiceError):
    """The user must enrol a TOTP device before using the API (401)."""

    status = 401
    default_code = "otp_required"


@service("token.create")
def token_create(*, actor: User, name: str, days: int | None = 90) -> tuple[PersonalAccessToken, str]:
    """Create a token for ``actor``; returns it and the full secret (shown once)."""
    require(access.can_create_token(actor))
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写令牌用途", details={"name": "必填"})
    if days is not None and not (1 <= days <= MAX_TOKEN_DAYS):
        raise ValidationFailed(f"有效期应为 1–{MAX_TOKEN_DAYS} 天", details={"days": "超出范围"})
    key, secret, full = PersonalAccessToken.generate()
    token = PersonalAccessToken.objects.create(
        user=actor,
        name=name[:100],
        key=key,
        secret_hash=hash_secret(secret),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    audit_record(action="token.create", actor=actor, obj=token, after={"name": token.name, "key": key})
    return token, full


@service("token.revoke")
def token_revoke(*, actor: User, token: PersonalAccessToken) -> PersonalAccessToken:
    token = PersonalAccessToken.objects.select_for_update().get(pk=token.pk)
    require(access.can_revoke_token(actor, token))
    if token.revoked_at is not None:
        raise ConflictError("该令牌已撤销", code="already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(action="token.revoke", actor=actor, obj=token, after={"key": token.key})
    return token


# zb_ + a 12-character key + _ + a 43-character secret = 59; anything much longer is not a token of ours.
MAX_TOKEN_LENGTH = 128


def token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None.

    Raises ``SecondFactorRequired`` (401 ``otp_required``) for a valid token
    of a user who must use TOTP and has not enrolled yet."""
    if len(raw) > MAX_TOKEN_LENGTH or not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None  # an oversized value is not looked up nor hashed
    key, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    if len(key) > PersonalAccessToken._meta.get_field("key").max_length:
        return None
    token = PersonalAccessToken.objects.select_related("user").filter(key=key).first()
    if token is None or not token.is_usable or not token.matches(secret) or not token.user.is_active:
        return None
    user = token.user
    if must_enrol_second_factor(user):
        raise SecondFactorRequired("您的账号须先在“账号安全”页面绑定身份验证器（双因素认证），访问令牌方可使用")
    _touch_last_used(token)
    return user


def _touch_last_used(token: PersonalAccessToken) -> None:
    """Record the token's use, at most once per LAST_USED_INTERVAL (a
    conditional UPDATE, so parallel requests write once). Never fails the
    request: when the database is busy the write is skipped."""
    now = timezone.now()
    stale = now - LAST_USED_INTERVAL
    if token.last_used_at is not None and token.last_used_at >= stale:
        return
    rows = PersonalAccessToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale)
    )
    try:
        with _brief_busy_wait(), transaction.atomic():
            rows.update(last_used_at=now)
    except DatabaseError as exc:
        logger.info("token %s: last_used_at not recorded (%s)", token.key, exc)


@contextmanager
def _brief_busy_wait() -> Iterator[None]:
    """On SQLite, wait at most LAST_USED_BUSY_MS for the write lock (instead
    of the connection's long busy timeout) while this block runs."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA busy_timeout = {LAST_USED_BUSY_MS}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {previous}")


# --- The end of a user's credentials ------------------------------------------------


def _user_session_keys(user_id: int) -> list[str]:
    """The keys of the live database sessions logged in as ``user_id``."""
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        # get_decoded() gives {} for a session it cannot read (nobody's).
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            keys.append(session.session_key)
    return keys


@service("account.credentials_revoke")
def credentials_revoke(*, actor: User | None, user: User, reason: str, end_sessions: bool) -> tuple[int, int]:
    """Revoke every usable token of ``user`` and, with ``end_sessions``,
    delete their sessions. Returns (tokens revoked, sessions ended); writes
    one audit row when anything ended."""
    now = timezone.now()
    tokens = PersonalAccessToken.objects.filter(user=user, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    keys = list(tokens.values_list("key", flat=True))
    revoked = tokens.update(revoked_at=now)
    sessions = 0
    if end_sessions:
        session_keys = _user_session_keys(user.pk)
        sessions, _ = Session.objects.filter(session_key__in=session_keys).delete()
    if revoked or sessions:
        audit_record(
            action="account.credentials_revoke",
            actor=actor,
            obj=user,
            after={"tokens": keys, "sessions": sessions},
            reason=reason,
        )
    return revoked, sessions


# --- TOTP ---------------------------------------------------------------------------


totp_confirmed_device = selectors.confirmed_device


def totp_pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (created on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    return device


@service("totp.enrol")
def totp_enrol(*, actor: User, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the authenticator app."""
    if totp_confirmed_device(actor) is not None:
        raise ConflictError("您已启用双因素认证", code="already_enrolled")
    device = TOTPDevice.objects.select_for_update().filter(user=actor, confirmed=False).first()
    if device is None:
        raise ConflictError("请先打开绑定页面获取密钥", code="no_pending_device")
    if not device.verify_token((token or "").strip()):
        raise ValidationFailed("验证码不正确或已过期", details={"token": "验证码不正确"})
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(action="totp.enrol", actor=actor, obj=actor)
    return device


@service("totp.remove")
def totp_remove(*, actor: User, user: User, reason: str = "") -> None:
    """Remove a user's second factor (the user themself, or an administrator
    helping one who lost their phone)."""
    require(access.can_remove_second_factor(actor, user))
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if not deleted:
        raise ConflictError("该用户未启用双因素认证", code="not_enrolled")
    audit_record(action="totp.remove", actor=actor, obj=user, reason=reason)


def second_factor_required(user: User) -> bool:
    """Whether ``user`` must pass a TOTP check in this session."""
    if totp_confirmed_device(user) is not None:
        return True
    return bool(settings.ZHIBEN_REQUIRE_ADMIN_2FA and user.is_district_admin)


def must_enrol_second_factor(user: User) -> bool:
    """Whether ``user`` is obliged to use TOTP and has no device yet (their
    tokens are refused until they enrol)."""
    return bool(settings.ZHIBEN_REQUIRE_ADMIN_2FA and user.is_district_admin) and totp_confirmed_device(user) is None
