"""Storing uploaded evidence files (photos and PDFs).

``store_upload`` accepts a file only by what its bytes are (magic bytes, then
a full decode for images), never by its name or the client's content type.
Everything is checked before anything is written: a refused file leaves no
row and no storage object behind. Accepted files are stored once per content
(SHA-256) in the default storage, through the Storage API only, so the
backend may be a local directory or an object store.

Supported: JPEG, PNG, WebP and HEIC/HEIF photos, and PDF. Images get a WebP
thumbnail (at most 320 px on the long side, EXIF orientation applied); PDFs
get none.

A file is held in memory while it is checked (at most the size limit, 20 MB
by default; ``store_uploads`` holds the whole batch).

Memory of image decoding (a 230 KB PNG can claim 79 megapixels, i.e. 300 MB
once decoded) is bounded three ways, all decided from the header before any
pixel is decoded:

* a photo may have at most ``ZHIBEN_UPLOAD_MAX_PIXELS`` (52 megapixels: the
  50-megapixel sensors of current phones write 8192×6144 = 50.3 MP, the
  48-megapixel iPhones 8064×6048; default phone photos are 12-24 MP);
* it is decoded with reduction where the format allows: JPEG at 1/2-1/8 scale
  (``draft``), HEIF from its embedded thumbnail when it has one. What must be
  decoded at full size (PNG, WebP, JPEG of several scans such as progressive
  ones, HEIF without a thumbnail: reduced band by band from libheif's
  buffer) may have at most ``ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE``
  (16 megapixels, 4 bytes each: 64 MB; a phone screenshot is 3-4 MP);
* at most ``ZHIBEN_IMAGE_DECODE_SLOTS`` (2) images are decoded at once per
  process; an upload that waits longer than ``ZHIBEN_IMAGE_DECODE_WAIT``
  seconds (15) is refused with "服务器繁忙，请稍后再试" (429) instead of
  queuing without end.

A HEIF photo thumbnailed from its embedded thumbnail has its container and
that thumbnail decoded (libheif refuses data outside the file, so truncation
is caught), not its full-size image.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import io
import logging
import struct
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import IntegrityError, transaction
from PIL import Image, ImageOps

from zhiben.core.errors import ServiceError, ValidationFailed

from .models import EXTENSIONS, FileKind, StoredFile, blob_path, thumb_path
from .selectors import stored_file_by_hash

try:  # HEIC/HEIF decoding (iPhone photos); optional at import time.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    HEIF_SUPPORTED = False

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 52_000_000
DEFAULT_MAX_PIXELS_FULL_DECODE = 16_000_000
DEFAULT_DECODE_SLOTS = 2
DEFAULT_DECODE_WAIT_SECONDS = 15.0
THUMB_SIZE = 320
READ_CHUNK = 64 * 1024

# ISO BMFF ``ftyp`` brands of HEIF images. The HEVC ones are "HEIC" proper.
HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx"})
HEIF_BRANDS = HEIC_BRANDS | {b"mif1", b"msf1"}

SUPPORTED_HINT = "仅支持 JPEG、PNG、WebP、HEIC 照片和 PDF 文件"


class Upload(Protocol):
    """What ``store_upload`` needs: a Django UploadedFile or any file-like
    with ``name`` and ``read`` (``size`` is used when present)."""

    name: str | None

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class _Format:
    content_type: str
    kind: str
    pillow_format: str | None  # None: not an image


JPEG = _Format("image/jpeg", FileKind.IMAGE, "JPEG")
PNG = _Format("image/png", FileKind.IMAGE, "PNG")
WEBP = _Format("image/webp", FileKind.IMAGE, "WEBP")
HEIC = _Format("image/heic", FileKind.IMAGE, "HEIF")
HEIF = _Format("image/heif", FileKind.IMAGE, "HEIF")
PDF = _Format("application/pdf", FileKind.PDF, None)


@dataclass
class _Checked:
    """A file that passed every check, ready to be written."""

    name: str
    data: bytes
    sha256: str
    fmt: _Format
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None


class ServerBusy(ServiceError):
    """Too many images are being decoded right now (429); try again later."""

    status = 429
    default_code = "server_busy"


BUSY_MESSAGE = "服务器繁忙，请稍后再试"


class _Refused(Exception):
    """One file failed a check (``message`` names it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- limits -------------------------------------------------------------------


def upload_max_bytes() -> int:
    """The per-file size limit: ``settings.ZHIBEN_UPLOAD_MAX_BYTES`` (20 MB)."""
    return int(getattr(settings, "ZHIBEN_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def upload_max_pixels() -> int:
    """The image size limit: ``settings.ZHIBEN_UPLOAD_MAX_PIXELS`` (52 megapixels)."""
    return int(getattr(settings, "ZHIBEN_UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def upload_max_pixels_full_decode() -> int:
    """The size limit of images that must be decoded at full size (PNG, WebP,
    JPEG of several scans, HEIF without an embedded thumbnail):
    ``settings.ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE`` (16 megapixels)."""
    return min(
        upload_max_pixels(),
        int(getattr(settings, "ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE", DEFAULT_MAX_PIXELS_FULL_DECODE)),
    )


def _megapixels(n: int) -> str:
    return f"{n / 10_000:g} 万像素"


# --- bounded decoding -----------------------------------------------------------

_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _decode_semaphore() -> threading.BoundedSemaphore:
    """The process-wide semaphore of ``settings.ZHIBEN_IMAGE_DECODE_SLOTS``."""
    global _slots
    count = max(1, int(getattr(settings, "ZHIBEN_IMAGE_DECODE_SLOTS", DEFAULT_DECODE_SLOTS)))
    with _slots_lock:
        if _slots is None or _slots[0] != count:
            _slots = (count, threading.BoundedSemaphore(count))
        return _slots[1]


def _load_libc_trim():
    """glibc's ``malloc_trim`` (returns freed heap memory to the system), or None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        return None


_malloc_trim = _load_libc_trim()


@contextlib.contextmanager
def _decode_slot() -> Iterator[None]:
    """Hold one of the process's image-decoding slots; raise ServerBusy when
    none frees up within ``settings.ZHIBEN_IMAGE_DECODE_WAIT`` seconds.
    Afterwards freed memory is handed back to the system (a decoded frame is
    tens of MB; glibc keeps such freed blocks in its arenas otherwise)."""
    semaphore = _decode_semaphore()
    wait = float(getattr(settings, "ZHIBEN_IMAGE_DECODE_WAIT", DEFAULT_DECODE_WAIT_SECONDS))
    if not semaphore.acquire(timeout=wait):
        logger.warning("image decode refused: no slot free within %s s", wait)
        raise ServerBusy(BUSY_MESSAGE)
    try:
        yield
    finally:
        semaphore.release()
        if _malloc_trim is not None:
            _malloc_trim(0)


def format_size(n: int) -> str:
    """``20 MB``, ``1.5 MB``, ``300 KB``, ``512 字节``."""
    if n >= 1024 * 1024:
        return f"{round(n / (1024 * 1024), 1):g} MB"
    if n >= 1024:
        return f"{round(n / 1024, 1):g} KB"
    return f"{n} 字节"


def clean_filename(name: str | None, default: str = "未命名文件") -> str:
    """The client's file name made safe to keep and show: no directory part,
    no control characters, NFC-normalized, at most 255 characters (the
    extension is kept when shortening)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".").strip()
    if not name:
        return default
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        keep_ext = bool(dot) and 0 < len(ext) <= 16
        name = stem[: 255 - len(ext) - 1] + "." + ext if keep_ext else name[:255]
    return name


# --- checks -------------------------------------------------------------------


def _read_limited(upload: Any, name: str, max_bytes: int) -> bytes:
    """Read the upload, refusing it once it exceeds ``max_bytes`` (reads at
    most ``max_bytes + 1`` bytes)."""
    too_big = f"文件“{name}”超过大小上限 {format_size(max_bytes)}"
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise _Refused(too_big)
    if hasattr(upload, "seek"):
        with contextlib.suppress(OSError, ValueError):  # not seekable: read from where it is
            upload.seek(0)
    buf = bytearray()
    limit = max_bytes + 1
    while len(buf) < limit:
        chunk = upload.read(min(READ_CHUNK, limit - len(buf)))
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("store_upload needs a binary file")
        buf += chunk
    if len(buf) > max_bytes:
        raise _Refused(too_big)
    return bytes(buf)


def _heif_brands(data: bytes) -> set[bytes] | None:
    """The major and compatible brands of a leading ISO BMFF ``ftyp`` box,
    or ``None`` when the data does not start with one."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    (box_size,) = struct.unpack(">I", data[:4])
    if box_size < 16 or box_size > len(data) or box_size % 4:
        return None
    brands = {data[8:12]}
    brands.update(data[i : i + 4] for i in range(16, box_size, 4))
    return brands


def detect_format(data: bytes) -> _Format | None:
    """The supported format the bytes start with, or ``None``."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    brands = _heif_brands(data)
    if brands is not None and data[8:12] in HEIF_BRANDS:
        return HEIC if brands & HEIC_BRANDS else HEIF
    return None


def _check_pdf(data: bytes, name: str) -> None:
    # A complete PDF ends with "%%EOF" (readers allow junk in the last 1 KB).
    if b"%%EOF" not in data[-1024:]:
        raise _Refused(f"文件“{name}”已损坏或不完整，无法识别为PDF")


def _display_size(im: Image.Image) -> tuple[int, int]:
    """The image's width and height as shown (after EXIF orientation)."""
    width, height = im.size
    try:
        orientation = im.getexif().get(0x0112)
    except Exception:
        orientation = None
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """``size`` scaled down to fit a ``box`` × ``box`` square (never up)."""
    width, height = size
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _thumbnail(im: Image.Image) -> bytes:
    """The WebP thumbnail of a loaded image. Shrinks ``im`` in place first
    (freeing the decoded frame), then turns the small copy upright."""
    im.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    small = ImageOps.exif_transpose(im)
    has_alpha = small.mode in ("RGBA", "LA", "PA") or (small.mode == "P" and "transparency" in small.info)
    small = small.convert("RGBA" if has_alpha else "RGB")
    out = io.BytesIO()
    small.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()


def _too_big(name: str, size: tuple[int, int], limit: int, hint: str = "请缩小后再上传") -> _Refused:
    return _Refused(f"文件“{name}”的图片尺寸过大（{size[0]}×{size[1]} 像素，上限 {_megapixels(limit)}），{hint}")


FULL_DECODE_HINT = "请缩小或转换为 JPEG 照片后再上传"


_JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})


def jpeg_scan_count(data: bytes, stop_at: int = 2) -> int:
    """How many scans (SOS segments) a JPEG has, counting up to ``stop_at``.

    A JPEG of more than one scan (progressive, or baseline with its colour
    components in separate scans) makes libjpeg keep every DCT coefficient
    of the whole image, 2-4 bytes a pixel, whatever the output scale. Walks
    the segments, skipping each scan's entropy-coded data (where 0xFF is
    always followed by 0x00 or a restart marker). Stops at EOI or at
    anything malformed (the decoder judges that)."""
    i, n, scans = 2, len(data), 0
    while i + 1 < n and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # EOI
            break
        if marker in _JPEG_STANDALONE_MARKERS:
            i += 2
            continue
        if i + 4 > n:
            break
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        if marker != 0xDA:
            continue
        scans += 1
        if scans >= stop_at:
            break
        while (i := data.find(b"\xff", i)) != -1 and i + 1 < n and (data[i + 1] == 0x00 or 0xD0 <= data[i + 1] <= 0xD7):
            i += 2
        if i == -1:
            break
    return scans


def _header_limit(im: Image.Image, data: bytes, fmt: _Format) -> tuple[int, str]:
    """The pixel limit read from the header alone, and the hint to show."""
    if fmt.pillow_format == "JPEG" and not im.info.get("progressive") and jpeg_scan_count(data) < 2:
        return upload_max_pixels(), "请缩小后再上传"
    if fmt.pillow_format == "HEIF":
        return upload_max_pixels(), "请缩小后再上传"
    # PNG, WebP and JPEG of several scans are decoded at full size.
    return upload_max_pixels_full_decode(), FULL_DECODE_HINT


def _check_header(data: bytes, name: str, fmt: _Format) -> None:
    """Refuse from the header what is too large to decode, then let Pillow
    verify the file's structure (chunk CRCs for PNG)."""
    with Image.open(io.BytesIO(data), formats=[fmt.pillow_format]) as im:
        limit, hint = _header_limit(im, data, fmt)
        if im.size[0] * im.size[1] > limit:
            raise _too_big(name, im.size, limit, hint)
        im.verify()


def _heif_reduced(data: bytes, target: tuple[int, int]) -> Image.Image:
    """The HEIF's primary image reduced to about twice ``target``, without a
    full-size Pillow copy: libheif decodes it once (3-4 bytes a pixel,
    upright), and it is reduced band by band from that buffer."""
    heif = pillow_heif.open_heif(io.BytesIO(data), convert_hdr_to_8bit=True)
    frame = heif[heif.primary_index]
    width, height = frame.size
    mode = frame.mode
    buffer, stride = frame.data, frame.stride
    factor = max(1, min(width // (target[0] * 2), height // (target[1] * 2)))
    band_rows = factor * max(1, 64 // factor)
    reduced = Image.new(mode, (-(-width // factor), -(-height // factor)))
    for top in range(0, height, band_rows):
        rows = min(band_rows, height - top)
        band = Image.frombuffer(
            mode, (width, rows), buffer[top * stride : (top + rows) * stride], "raw", mode, stride, 1
        )
        reduced.paste(band.reduce(factor), (0, top // factor))
    return reduced


def _decode_thumbnail(data: bytes, name: str, fmt: _Format) -> tuple[tuple[int, int], bytes]:
    """Decode the image with as much reduction as its format allows (never
    holding more than the full-decode limit) and make its thumbnail."""
    with Image.open(io.BytesIO(data), formats=[fmt.pillow_format]) as im:
        display = _display_size(im)
        full_size = im.size
        target = _fit(im.size, THUMB_SIZE)
        if fmt.pillow_format == "JPEG":
            im.draft("RGB", (target[0] * 2, target[1] * 2))  # decode at 1/2 .. 1/8 scale
        elif fmt.pillow_format == "HEIF" and im.draft(None, target) is None:
            # No embedded thumbnail that large: decode in full, reduce by bands.
            if full_size[0] * full_size[1] > upload_max_pixels_full_decode():
                raise _too_big(name, full_size, upload_max_pixels_full_decode(), FULL_DECODE_HINT)
            return display, _thumbnail(_heif_reduced(data, target))
        limit = upload_max_pixels_full_decode()
        if im.size[0] * im.size[1] > limit:  # no reduction possible (or not enough)
            raise _too_big(name, full_size, limit, FULL_DECODE_HINT)
        im.load()
        return display, _thumbnail(im)


def _check_image(data: bytes, name: str, fmt: _Format) -> tuple[int, int, bytes]:
    """Open, verify and decode the image (reduced); return its displayed size
    and its thumbnail. Refuses fakes, truncated files and decompression
    bombs (from the header, before decoding)."""
    corrupt = f"文件“{name}”已损坏，无法识别为图片"
    if fmt.pillow_format == "HEIF" and not HEIF_SUPPORTED:
        raise _Refused(f"文件“{name}”是HEIC照片，但系统暂不能处理HEIC格式，请转换为JPEG后上传")
    try:
        _check_header(data, name, fmt)
        # verify() leaves the image unusable and checks little for JPEG and
        # HEIF: decode it (this also catches truncation).
        with _decode_slot():
            display, thumbnail = _decode_thumbnail(data, name, fmt)
    except (_Refused, ServerBusy):
        raise
    except Image.DecompressionBombError as exc:
        raise _Refused(f"文件“{name}”的图片尺寸过大，请缩小后再上传") from exc
    except Exception as exc:  # any decoder failure on untrusted bytes means "not a valid image"
        logger.info("image refused: %s: %s", name, exc)
        raise _Refused(corrupt) from exc
    return display[0], display[1], thumbnail


def _check(upload: Any, max_bytes: int) -> _Checked:
    name = clean_filename(getattr(upload, "name", None))
    data = _read_limited(upload, name, max_bytes)
    if not data:
        raise _Refused(f"文件“{name}”是空文件")
    fmt = detect_format(data)
    if fmt is None:
        raise _Refused(f"文件“{name}”不是支持的图片或PDF（{SUPPORTED_HINT}）")
    checked = _Checked(name=name, data=data, sha256=hashlib.sha256(data).hexdigest(), fmt=fmt)
    if fmt.kind == FileKind.PDF:
        _check_pdf(data, name)
    else:
        checked.width, checked.height, checked.thumbnail = _check_image(data, name, fmt)
    return checked


# --- writing ------------------------------------------------------------------


def _put(storage: Storage, name: str, data: bytes) -> None:
    """Write ``data`` at ``name`` unless it is there already (content
    addressed: an existing object holds the same bytes)."""
    if storage.exists(name):
        return
    saved = storage.save(name, ContentFile(data))
    if saved != name:
        # A concurrent upload of the same content got there first and the
        # backend chose another name for ours: drop the duplicate.
        storage.delete(saved)


def _write(checked: _Checked) -> StoredFile:
    storage = default_storage
    sha = checked.sha256
    existing = stored_file_by_hash(sha)
    if existing is not None:
        # Same content stored before: reuse it (and restore missing objects).
        _put(storage, existing.path, checked.data)
        if checked.thumbnail is not None:
            _put(storage, thumb_path(sha), checked.thumbnail)
            if not existing.has_thumbnail:
                existing.has_thumbnail = True
                existing.save(update_fields=["has_thumbnail"])
        return existing
    extension = EXTENSIONS[checked.fmt.content_type]
    _put(storage, blob_path(sha, extension), checked.data)
    if checked.thumbnail is not None:
        _put(storage, thumb_path(sha), checked.thumbnail)
    try:
        with transaction.atomic():
            return StoredFile.objects.create(
                sha256=sha,
                size=len(checked.data),
                content_type=checked.fmt.content_type,
                kind=checked.fmt.kind,
                width=checked.width,
                height=checked.height,
                has_thumbnail=checked.thumbnail is not None,
            )
    except IntegrityError:
        return StoredFile.objects.get(sha256=sha)  # stored concurrently


def _refuse(messages: list[str]) -> ValidationFailed:
    message = messages[0] if len(messages) == 1 else f"{len(messages)} 个文件未通过检查：" + "；".join(messages)
    return ValidationFailed(message, details={"file": message, "files": messages})


# --- public API ---------------------------------------------------------------


def check_upload(upload: Upload, *, max_bytes: int | None = None) -> None:
    """Run every check ``store_upload`` runs, without storing anything.

    Raises ValidationFailed (details ``{"file": message}``) when refused,
    ServerBusy (429) when no image decoding slot frees up in time.
    """
    try:
        _check(upload, upload_max_bytes() if max_bytes is None else max_bytes)
    except _Refused as exc:
        raise _refuse([exc.message]) from None


def store_upload(upload: Upload, *, max_bytes: int | None = None) -> StoredFile:
    """Check an uploaded photo or PDF by its content and store it once.

    ``upload`` is a Django UploadedFile or any binary file-like with ``name``
    and ``read``. ``max_bytes`` overrides ``settings.ZHIBEN_UPLOAD_MAX_BYTES``.
    Returns the (possibly already existing) StoredFile for its content.
    Raises ValidationFailed with a Chinese message naming the file, and
    ``details={"file": message}``, or ServerBusy (429, "服务器繁忙，请稍后再试")
    when no image decoding slot frees up in time; nothing is written then.
    """
    return store_uploads([upload], max_bytes=max_bytes)[0]


def store_uploads(uploads: Iterable[Upload], *, max_bytes: int | None = None) -> list[StoredFile]:
    """Check all files, then store all of them, or none.

    Returns the StoredFiles in the order given (the same content given twice
    gives the same row twice). When any file is refused, raises
    ValidationFailed whose message names every refused file (details:
    ``"file"``: that message, ``"files"``: one message per refused file) and
    writes nothing. ServerBusy (429) when no image decoding slot frees up in
    time (nothing written either).
    """
    limit = upload_max_bytes() if max_bytes is None else max_bytes
    checked: list[_Checked] = []
    problems: list[str] = []
    for upload in uploads:
        try:
            checked.append(_check(upload, limit))
        except _Refused as exc:
            problems.append(exc.message)
    if problems:
        raise _refuse(problems)
    with transaction.atomic():
        return [_write(item) for item in checked]


def open_stored(stored: StoredFile, variant: str = "original"):
    """Open the original (or ``"thumb"``) of a stored file for reading from
    the default storage. Raises FileNotFoundError when it is not there."""
    if variant == "thumb":
        if not stored.has_thumbnail:
            raise FileNotFoundError(f"{stored} has no thumbnail")
        name = thumb_path(stored.sha256)
    elif variant == "original":
        name = stored.path
    else:
        raise ValueError(f"unknown variant {variant!r}")
    return default_storage.open(name, "rb")
