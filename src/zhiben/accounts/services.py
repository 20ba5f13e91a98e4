"""Service functions for access tokens and the TOTP second factor."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiben.audit.services import audit_record
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.models import User

from .models import TOKEN_PREFIX, PersonalAccessToken, hash_secret

MAX_TOKEN_DAYS = 365


@service("token.create")
def token_create(*, actor: User, name: str, days: int | None = 90) -> tuple[PersonalAccessToken, str]:
    """Create a token for ``actor``; returns it and the full secret (shown once)."""
    require(actor.is_authenticated and actor.is_active)
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
    require(token.user_id == actor.pk or actor.is_district_admin)
    if token.revoked_at is not None:
        raise ConflictError("该令牌已撤销", code="already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(action="token.revoke", actor=actor, obj=token, after={"key": token.key})
    return token


def token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX) or raw.count("_") < 2:
        return None
    key, _, secret = raw[len(TOKEN_PREFIX) :].partition("_")
    token = PersonalAccessToken.objects.select_related("user").filter(key=key).first()
    if token is None or not token.is_usable or not token.matches(secret) or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- TOTP ---------------------------------------------------------------------------


def totp_confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


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
    require(actor.pk == user.pk or actor.is_district_admin)
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    if not deleted:
        raise ConflictError("该用户未启用双因素认证", code="not_enrolled")
    audit_record(action="totp.remove", actor=actor, obj=user, reason=reason)


def second_factor_required(user: User) -> bool:
    """Whether ``user`` must pass a TOTP check in this session."""
    from django.conf import settings

    if totp_confirmed_device(user) is not None:
        return True
    return bool(settings.ZHIBEN_REQUIRE_ADMIN_2FA and user.is_district_admin)
