"""The key of the audit chain.

Each audit row's hash is an HMAC-SHA256 over its content (see
``services.compute_hash``), keyed with ``ZHIBEN_AUDIT_KEY``. Whoever can write
the database but does not hold the key cannot recompute a valid chain after
editing it. Production refuses to start without the setting; without it (the
demo, the tests) a key is derived from ``SECRET_KEY`` with HKDF-SHA256.

The key must stay the same for the life of the chain: with another key every
row fails verification. Keep it with the other secrets (and its backup), never
in the database.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed

HKDF_INFO = b"zhiben.audit.chain-key.v1"
MIN_KEY_LENGTH = 32


def derived_key(secret_key: str | None = None) -> bytes:
    """The key derived from SECRET_KEY (when ZHIBEN_AUDIT_KEY is unset)."""
    secret = (secret_key if secret_key is not None else settings.SECRET_KEY) or ""
    if not secret:
        raise ImproperlyConfigured("审计链需要 ZHIBEN_AUDIT_KEY 或 SECRET_KEY")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(secret.encode("utf-8"))


@functools.cache
def audit_key() -> bytes:
    """The HMAC key of the chain (``ZHIBEN_AUDIT_KEY``, else derived)."""
    configured = (getattr(settings, "ZHIBEN_AUDIT_KEY", "") or "").strip()
    if configured:
        if len(configured) < MIN_KEY_LENGTH:
            raise ImproperlyConfigured(f"ZHIBEN_AUDIT_KEY 至少需要 {MIN_KEY_LENGTH} 个字符")
        return configured.encode("utf-8")
    return derived_key()


def _reset(**kwargs) -> None:
    if kwargs.get("setting") in ("ZHIBEN_AUDIT_KEY", "SECRET_KEY"):
        audit_key.cache_clear()


setting_changed.connect(_reset)
