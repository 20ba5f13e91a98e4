"""Serving stored files.

There is deliberately no URL here: a file is only served through the app
that owns the record it belongs to. That app's view checks that the user may
see the record, then returns ``serve_file(request, link.file_id,
filename=link.original_name)``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest

from .models import EXTENSIONS, THUMB_CONTENT_TYPE, THUMB_EXTENSION, StoredFile
from .selectors import stored_file
from .services import clean_filename, open_stored

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# Content types a browser only ever renders as a picture (no script, no
# links, no forms): served inline. Everything else (PDFs, which can carry
# JavaScript, forms and links; HEIC, which browsers do not show) is served as
# a download, so it never runs in our origin.
INLINE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
CACHE_CONTROL = "private, max-age=3600"

# Extensions a file of each content type may keep when served under its
# original name; any other gets the right one appended ("x.html" -> "x.html.png").
_ALLOWED_SUFFIXES: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg", ".jpe", ".jfif"),
    "image/png": (".png",),
    "image/webp": (".webp",),
    "image/heic": (".heic", ".heif"),
    "image/heif": (".heif", ".heic"),
    "application/pdf": (".pdf",),
}


def _download_name(stored: StoredFile, variant: str, filename: str | None) -> str:
    """The name offered to the browser, with an extension matching what is
    actually served."""
    extension = THUMB_EXTENSION if variant == "thumb" else EXTENSIONS.get(stored.content_type, "bin")
    if not filename:
        return f"{stored.sha256[:16]}.{extension}"
    name = clean_filename(filename)
    if variant == "thumb":
        return f"{PurePosixPath(name).stem or name}.{extension}"
    if PurePosixPath(name).suffix.lower() in _ALLOWED_SUFFIXES.get(stored.content_type, ()):
        return name
    return f"{name}.{extension}"


def _ascii_fallback(name: str) -> str:
    """A plain-ASCII stand-in for old clients that ignore ``filename*``."""
    suffix = PurePosixPath(name).suffix
    if not re.fullmatch(r"\.[A-Za-z0-9]{1,16}", suffix):
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._\- ]+", "_", stem).strip(" ._") or "file"
    return stem + suffix


def content_disposition(filename: str, *, as_attachment: bool = False) -> str:
    """``inline; filename="…"; filename*=UTF-8''…`` (RFC 6266 / RFC 5987)."""
    disposition = "attachment" if as_attachment else "inline"
    fallback = _ascii_fallback(filename)
    header = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def serve_file(
    request: HttpRequest,
    file_id: int | StoredFile,
    *,
    variant: str = "original",
    filename: str | None = None,
    as_attachment: bool = False,
) -> FileResponse:
    """Stream a stored file (``variant="original"``) or its thumbnail
    (``variant="thumb"``) from storage.

    The caller must already have checked that the user may see the record
    the file belongs to. Photos (JPEG, PNG, WebP) and thumbnails are served
    inline, anything else (PDF, HEIC) always as an attachment; every response
    carries ``nosniff`` and a sandboxing CSP. ``filename`` is the name offered to the browser
    (usually the link's ``original_name``; its extension is corrected when it
    does not match the content). Raises Http404 when the file, or the
    thumbnail asked for, does not exist.
    """
    if variant not in ("original", "thumb"):
        raise ValueError(f"unknown variant {variant!r}")
    if isinstance(file_id, StoredFile):
        stored = file_id
    else:
        stored = stored_file(file_id)
        if stored is None:
            raise Http404("文件不存在")
    if variant == "thumb" and not stored.has_thumbnail:
        raise Http404("该文件没有缩略图")
    try:
        handle = open_stored(stored, variant)
    except FileNotFoundError as exc:
        raise Http404("文件不存在") from exc

    content_type = THUMB_CONTENT_TYPE if variant == "thumb" else stored.content_type
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(
        _download_name(stored, variant, filename),
        as_attachment=as_attachment or content_type not in INLINE_CONTENT_TYPES,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cache-Control"] = CACHE_CONTROL
    response["ETag"] = f'"{stored.sha256}{"-thumb" if variant == "thumb" else ""}"'
    return response
