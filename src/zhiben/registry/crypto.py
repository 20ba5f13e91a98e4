"""Encryption of personal data at rest (phone numbers of unit contacts).

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, random IV, so the
same number encrypts differently each time). Keys come from the setting
``ZHIBEN_FIELD_KEYS``: comma-separated Fernet keys, the first one encrypts and
all of them decrypt (key rotation: put the new key first, run
``zhiben registry_rekey``, then drop the old one). Without the setting, one key is
derived from ``SECRET_KEY`` with HKDF-SHA256, so changing SECRET_KEY without
setting ZHIBEN_FIELD_KEYS to the old derived key makes the stored numbers
unreadable (``zhiben registry_rekey --print-derived-key`` prints it).

Encrypted columns cannot be searched or filtered on.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

PREFIX = "fernet:"
UNREADABLE = "（无法解密）"  # shown when no configured key opens a value
HKDF_INFO = b"zhiben.registry.field-encryption.v1"


def derived_key(secret_key: str | None = None) -> bytes:
    """The Fernet key derived from SECRET_KEY (when ZHIBEN_FIELD_KEYS is unset)."""
    secret = (secret_key if secret_key is not None else settings.SECRET_KEY) or ""
    if not secret:
        raise ImproperlyConfigured("字段加密需要 ZHIBEN_FIELD_KEYS 或 SECRET_KEY")
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> list[bytes]:
    value = getattr(settings, "ZHIBEN_FIELD_KEYS", "") or ""
    if isinstance(value, list | tuple):
        keys = [str(k).strip() for k in value]
    else:
        keys = [k.strip() for k in str(value).split(",")]
    keys = [k for k in keys if k]
    return [k.encode("ascii") for k in keys] if keys else [derived_key()]


@functools.cache
def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in configured_keys()])
    except ValueError as exc:
        raise ImproperlyConfigured(f"ZHIBEN_FIELD_KEYS 中有无效的 Fernet 密钥：{exc}") from exc


def _reset(**kwargs) -> None:
    if kwargs.get("setting") in ("ZHIBEN_FIELD_KEYS", "SECRET_KEY"):
        _fernet.cache_clear()


setting_changed.connect(_reset)


def encrypt(value: str | None) -> str:
    """``"fernet:<token>"``, or ``""`` for an empty value (emptiness is not secret)."""
    if not value:
        return ""
    return PREFIX + _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(stored: str | None) -> str:
    """The plain value. Raises ``InvalidToken`` when no configured key opens it."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return stored  # written before encryption (never by this app)
    return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")


def rotate(stored: str) -> str:
    """Re-encrypt with the primary key."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return encrypt(stored)
    return PREFIX + _fernet().rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")


class EncryptedCharField(models.TextField):
    """A short text stored encrypted; Python code sees the plain value.

    ``max_length`` limits the plain value (checked by forms and services);
    the column itself is unlimited text since the token is longer.
    """

    def __init__(self, *args, plain_max_length: int = 30, **kwargs):
        self.plain_max_length = plain_max_length
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["plain_max_length"] = self.plain_max_length
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        try:
            return decrypt(value)
        except InvalidToken:
            return UNREADABLE

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""

    def formfield(self, **kwargs):
        from django import forms

        return forms.CharField(max_length=self.plain_max_length, required=not self.blank, label=self.verbose_name)


def mask_phone(value: str | None) -> str:
    """138****5678: the first three and last four characters kept."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) >= 8:
        return value[:3] + "****" + value[-4:]
    if len(value) > 2:
        return "*" * (len(value) - 2) + value[-2:]
    return "*" * len(value)
