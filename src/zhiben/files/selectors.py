"""Read-side helpers of the files app: finding stored files. No writes."""

from __future__ import annotations

from .models import StoredFile


def stored_file(pk: int) -> StoredFile | None:
    """The stored file ``pk``, or None."""
    return StoredFile.objects.filter(pk=pk).first()


def stored_file_by_hash(sha256: str) -> StoredFile | None:
    """The stored file with this content (files are kept once per content), or None."""
    return StoredFile.objects.filter(sha256=sha256).first()
