"""Phone numbers shown to those who may not read them in clear.

The encryption at rest of the phone numbers (``EncryptedCharField``, keys,
rotation) is shared with other apps and lives in :mod:`zhiben.core.crypto`.
"""

from __future__ import annotations


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
