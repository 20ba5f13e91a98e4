"""Encryption of sensitive text at rest: personal data (unit contacts' phone
numbers, tip reporters' names and phones) and webhook signing secrets.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, random IV, so the
same value encrypts differently each time). Keys come from the setting
``ZHIBEN_FIELD_KEYS``: comma-separated Fernet keys, the first one encrypts and
all of them decrypt (key rotation: put the new key first, run
``zhiben rekey``, then drop the old one). Without the setting, one key is
derived from ``SECRET_KEY`` with HKDF-SHA256, so changing SECRET_KEY without
setting ZHIBEN_FIELD_KEYS to the old derived key makes the stored values
unreadable (``zhiben rekey --print-derived-key`` prints it).

:func:`rekey` re-encrypts every :class:`EncryptedCharField` of every installed
model with the primary key (found through the app registry, so core names no app).

Encrypted columns cannot be searched or filtered on.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models

from .errors import ConflictError
from .recorder import audit_record
from .services import service

PREFIX = "fernet:"
UNREADABLE = "（无法解密）"  # shown when no configured key opens a value
# Part of the derived key: changing it changes the key derived from SECRET_KEY and
# makes every stored value unreadable. It names the registry, where encryption began.
HKDF_INFO = b"zhiben.registry.field-encryption.v1"
REKEY_BATCH = 1000  # rows read per round trip by rekey()


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
        return stored  # written before encryption (e.g. by a data migration's source)
    return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)


def rotate(stored: str) -> str:
    """Re-encrypt with the primary key."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return encrypt(stored)
    return PREFIX + _fernet().rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")


class EncryptedCharField(models.TextField):
    """A short text stored encrypted; Python code sees the plain value.

    ``plain_max_length`` limits the plain value (checked by forms and services);
    the column itself is unlimited text since the token is longer. A value no
    configured key opens reads as :data:`UNREADABLE`.
    """

    def __init__(self, *args, plain_max_length: int = 30, **kwargs):
        self.plain_max_length = plain_max_length
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["plain_max_length"] = self.plain_max_length
        kwargs["blank"] = self.blank  # always: __init__ defaults it to True, not Field's False
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


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every concrete installed model with encrypted columns, and their names."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.local_concrete_fields if isinstance(f, EncryptedCharField)]
        if names:
            found.append((model, names))
    return found


@service("registry.rekey")
def rekey(*, actor=None) -> dict[str, int]:
    """Re-encrypt every encrypted column with the primary key (key rotation).

    All rows are locked and rewritten in one transaction; a value no configured
    key opens stops everything (ConflictError, nothing changed). Returns the
    rows rewritten per model (``"registry.unit": 12``). One audit row.
    """
    counts: dict[str, int] = {}
    for model, names in encrypted_fields():
        label = model._meta.label_lower
        changed = 0
        rows = model._base_manager.select_for_update().order_by("pk").values_list("pk", *names)
        # values_list decrypts (from_db_value); update() encrypts with the primary key.
        for pk, *values in rows.iterator(chunk_size=REKEY_BATCH):
            if UNREADABLE in values:
                raise ConflictError(
                    f"{model._meta.verbose_name} {pk} 的加密字段无法用现有密钥解密，"
                    "请把旧密钥加入 ZHIBEN_FIELD_KEYS 后重试",
                    code="unreadable",
                )
            model._base_manager.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
            changed += 1
        counts[label] = changed
    audit_record(action="registry.rekey", actor=actor, object_type="core.field_keys", after=counts)
    return counts
