"""Personal access tokens for machine access to the API."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import models
from django.utils import timezone

from zhiben.core.fields import user_fk

TOKEN_PREFIX = "zb_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class PersonalAccessToken(models.Model):
    """个人访问令牌. Only a SHA-256 of the secret is stored; the full token
    is shown once, when it is created."""

    user = user_fk("用户", on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField("用途", max_length=100)
    key = models.CharField("标识", max_length=16, unique=True)
    secret_hash = models.CharField("密钥摘要", max_length=64)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "访问令牌"
        verbose_name_plural = "访问令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({TOKEN_PREFIX}{self.key}_…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """(key, secret, full token)."""
        key = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        return key, secret, f"{TOKEN_PREFIX}{key}_{secret}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())

    @property
    def status_label(self) -> str:
        if self.revoked_at:
            return "已撤销"
        if self.expires_at and self.expires_at <= timezone.now():
            return "已过期"
        return "有效"

    def matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))
