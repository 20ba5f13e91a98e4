"""store_upload / store_uploads: accepted by content, refused without a
trace, stored once per content, thumbnails."""

from __future__ import annotations

import io
import struct
import threading
import zlib

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from zhiben.core.errors import ValidationFailed
from zhiben.files import services
from zhiben.files.models import FileKind, FileLink, StoredFile
from zhiben.files.services import (
    ServerBusy,
    check_upload,
    clean_filename,
    detect_format,
    format_size,
    store_upload,
    store_uploads,
)

pytestmark = pytest.mark.django_db

SUPPORTED = "仅支持 JPEG、PNG、WebP、HEIC 照片和 PDF 文件"


def assert_nothing_written(kit):
    assert StoredFile.objects.count() == 0
    assert kit.stored_names() == []


def refused(upload_or_list, **kwargs) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        if isinstance(upload_or_list, list):
            store_uploads(upload_or_list, **kwargs)
        else:
            store_upload(upload_or_list, **kwargs)
    exc = info.value
    assert exc.status == 422
    assert exc.details["file"] == exc.message
    return exc


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` (a decompression-bomb shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


# --- accepted types ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "ext"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_images_are_accepted(kit, fmt, content_type, ext):
    data = kit.image_bytes(fmt, (64, 48))
    # The name and the client's content type are ignored: only the bytes count.
    stored = store_upload(kit.upload("照片.bin", data, content_type="text/plain"))

    assert stored.kind == FileKind.IMAGE
    assert stored.content_type == content_type
    assert (stored.width, stored.height) == (64, 48)
    assert stored.size == len(data)
    assert len(stored.sha256) == 64
    assert stored.path == f"evidence/{stored.sha256[:2]}/{stored.sha256[2:4]}/{stored.sha256}.{ext}"
    assert stored.has_thumbnail
    assert stored.thumb_path == f"evidence/thumbs/{stored.sha256[:2]}/{stored.sha256[2:4]}/{stored.sha256}.webp"
    assert kit.stored_names() == sorted([stored.path, stored.thumb_path])
    with default_storage.open(stored.path, "rb") as fh:
        assert fh.read() == data


def test_png_with_transparency_keeps_alpha_in_thumbnail(kit):
    im = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (10, 10, 30, 30))
    out = io.BytesIO()
    im.save(out, format="PNG")
    stored = store_upload(kit.upload("alpha.png", out.getvalue()))
    with default_storage.open(stored.thumb_path, "rb") as fh, Image.open(fh) as thumb:
        assert thumb.format == "WEBP"
        assert thumb.mode == "RGBA"
        assert thumb.getpixel((0, 0))[3] == 0


def test_heic_is_accepted_and_gets_a_browser_thumbnail(kit):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("libheif in this pillow-heif build has no HEIC (x265) encoder to make a test photo")
    out = io.BytesIO()
    kit.two_tone((640, 480)).save(out, format="HEIF", quality=60)
    data = out.getvalue()
    assert data[4:8] == b"ftyp"

    stored = store_upload(kit.upload("IMG_0001.HEIC", data))

    assert stored.kind == FileKind.IMAGE
    assert stored.content_type == "image/heic"
    assert stored.path.endswith(".heic")
    assert (stored.width, stored.height) == (640, 480)
    assert stored.has_thumbnail
    with default_storage.open(stored.thumb_path, "rb") as fh, Image.open(fh) as thumb:
        assert thumb.format == "WEBP"
        assert thumb.size == (320, 240)


def test_pdf_is_accepted_without_thumbnail(kit):
    data = kit.pdf_bytes()
    stored = store_upload(kit.upload("验收材料.pdf", data))

    assert stored.kind == FileKind.PDF
    assert stored.content_type == "application/pdf"
    assert stored.path.endswith(".pdf")
    assert stored.width is None and stored.height is None
    assert not stored.has_thumbnail
    assert stored.thumb_path is None
    assert kit.stored_names() == [stored.path]


# --- refused --------------------------------------------------------------------


def test_renamed_exe_is_refused_and_nothing_written(kit):
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"
    exc = refused(kit.upload("setup.jpg", exe, content_type="image/jpeg"))
    assert exc.message == f"文件“setup.jpg”不是支持的图片或PDF（{SUPPORTED}）"
    assert exc.code == "validation_failed"
    assert_nothing_written(kit)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("drawing.jpg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("report.docx", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100),
        ("note.txt", "整改情况说明".encode()),
        ("page.png", b"<html><script>alert(document.cookie)</script></html>"),
        ("sound.webp", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 40),
        ("clip.heic", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40),
    ],
)
def test_other_content_is_refused(kit, name, data):
    exc = refused(kit.upload(name, data))
    assert exc.message == f"文件“{name}”不是支持的图片或PDF（{SUPPORTED}）"
    assert_nothing_written(kit)


def test_gif_is_refused(kit):
    exc = refused(kit.upload("anim.gif", kit.image_bytes("GIF")))
    assert "不是支持的图片或PDF" in exc.message
    assert_nothing_written(kit)


def test_empty_file_is_refused(kit):
    exc = refused(kit.upload("空.jpg", b""))
    assert exc.message == "文件“空.jpg”是空文件"
    assert_nothing_written(kit)


def test_oversized_file_is_refused_by_setting(kit, settings):
    settings.ZHIBEN_UPLOAD_MAX_BYTES = 1024
    data = kit.image_bytes("JPEG", (400, 400))
    assert len(data) > 1024
    exc = refused(kit.upload("x.jpg", data))
    assert exc.message == "文件“x.jpg”超过大小上限 1 KB"
    assert_nothing_written(kit)


def test_oversized_file_is_refused_by_argument(kit):
    exc = refused(kit.upload("x.jpg", kit.image_bytes("JPEG", (200, 200))), max_bytes=100)
    assert exc.message == "文件“x.jpg”超过大小上限 100 字节"
    assert_nothing_written(kit)


def test_default_limit_is_20_mb(kit, settings):
    del settings.ZHIBEN_UPLOAD_MAX_BYTES
    exc = refused(kit.upload("big.pdf", b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024)))
    assert exc.message == "文件“big.pdf”超过大小上限 20 MB"
    assert_nothing_written(kit)


class CountingStream:
    """A file-like with no size that counts what is read from it."""

    def __init__(self, name: str, total: int):
        self.name = name
        self.remaining = total
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        n = self.remaining if size < 0 else min(size, self.remaining)
        chunk = (b"%PDF-1.7\n" + b"0" * n)[:n] if self.bytes_read == 0 else b"0" * n
        self.remaining -= n
        self.bytes_read += n
        return chunk


def test_oversized_stream_is_not_read_to_the_end(kit):
    stream = CountingStream("huge.pdf", 50 * 1024 * 1024)
    exc = refused(stream, max_bytes=1000)
    assert "超过大小上限" in exc.message
    assert stream.bytes_read == 1001
    assert_nothing_written(kit)


def test_truncated_jpeg_is_refused(kit):
    data = kit.image_bytes("JPEG", (300, 200))
    exc = refused(kit.upload("x.jpg", data[: len(data) // 2]))
    assert exc.message == "文件“x.jpg”已损坏，无法识别为图片"
    assert_nothing_written(kit)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("fake.jpg", b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("fake.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20),
        ("fake.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64),
    ],
)
def test_fake_image_with_right_magic_is_refused(kit, name, data):
    exc = refused(kit.upload(name, data))
    assert exc.message == f"文件“{name}”已损坏，无法识别为图片"
    assert_nothing_written(kit)


def test_truncated_png_is_refused(kit):
    data = kit.image_bytes("PNG", (300, 200))
    exc = refused(kit.upload("x.png", data[:-30]))
    assert exc.message == "文件“x.png”已损坏，无法识别为图片"


def test_truncated_pdf_is_refused(kit):
    data = kit.pdf_bytes()
    exc = refused(kit.upload("x.pdf", data[: len(data) // 2]))
    assert exc.message == "文件“x.pdf”已损坏或不完整，无法识别为PDF"
    assert_nothing_written(kit)


def test_decompression_bomb_is_refused(kit):
    exc = refused(kit.upload("bomb.png", png_header_only(9000, 9000)))
    assert exc.message == (
        "文件“bomb.png”的图片尺寸过大（9000×9000 像素，上限 1600 万像素），请缩小或转换为 JPEG 照片后再上传"
    )
    assert_nothing_written(kit)


def test_huge_bomb_beyond_pillow_limit_is_refused(kit):
    exc = refused(kit.upload("bomb.png", png_header_only(30000, 30000)))
    assert "图片尺寸过大" in exc.message
    assert_nothing_written(kit)


def test_pixel_limit_is_a_setting(kit, settings):
    settings.ZHIBEN_UPLOAD_MAX_PIXELS = 1000
    exc = refused(kit.upload("x.png", kit.image_bytes("PNG", (100, 100))))
    assert "图片尺寸过大（100×100 像素" in exc.message


# --- dedup ------------------------------------------------------------------------


def test_same_content_is_stored_once(kit):
    data = kit.image_bytes("JPEG", (80, 60))
    first = store_upload(kit.upload("a.jpg", data))
    second = store_upload(kit.upload("b.jpeg", data))

    assert first.pk == second.pk
    assert StoredFile.objects.count() == 1
    assert kit.stored_names() == sorted([first.path, first.thumb_path])


def test_missing_object_is_restored_on_reupload(kit):
    data = kit.pdf_bytes()
    stored = store_upload(kit.upload("a.pdf", data))
    default_storage.delete(stored.path)

    again = store_upload(kit.upload("a.pdf", data))

    assert again.pk == stored.pk
    with default_storage.open(stored.path, "rb") as fh:
        assert fh.read() == data


# --- store_uploads ----------------------------------------------------------------


def test_store_uploads_stores_all_in_order(kit):
    jpeg = kit.image_bytes("JPEG")
    pdf = kit.pdf_bytes()
    result = store_uploads([kit.upload("1.jpg", jpeg), kit.upload("2.pdf", pdf), kit.upload("3.jpg", jpeg)])

    assert [f.kind for f in result] == ["image", "pdf", "image"]
    assert result[0].pk == result[2].pk
    assert StoredFile.objects.count() == 2
    assert len(kit.stored_names()) == 3  # jpeg, its thumbnail, pdf


def test_store_uploads_is_all_or_nothing_and_names_every_bad_file(kit):
    files = [
        kit.upload("好照片.jpg", kit.image_bytes("JPEG")),
        kit.upload("setup.jpg", b"MZ" + b"\x00" * 100),
        kit.upload("验收.pdf", kit.pdf_bytes()),
        kit.upload("空白.png", b""),
    ]
    exc = refused(files)

    assert "setup.jpg" in exc.message and "空白.png" in exc.message
    assert "好照片.jpg" not in exc.message and "验收.pdf" not in exc.message
    assert exc.message.startswith("2 个文件未通过检查：")
    assert exc.details["files"] == [
        f"文件“setup.jpg”不是支持的图片或PDF（{SUPPORTED}）",
        "文件“空白.png”是空文件",
    ]
    assert_nothing_written(kit)


def test_store_uploads_of_nothing(kit):
    assert store_uploads([]) == []


def test_check_upload_writes_nothing(kit):
    check_upload(kit.upload("a.jpg", kit.image_bytes("JPEG")))
    with pytest.raises(ValidationFailed):
        check_upload(kit.upload("a.jpg", b"MZ"))
    assert_nothing_written(kit)


# --- thumbnails -----------------------------------------------------------------


def test_thumbnail_is_small_and_upright(kit):
    # Stored sideways (800 wide) with EXIF orientation 6: shown 400 wide x 800
    # high, the stored left (red) half on top.
    data = kit.image_bytes("JPEG", (800, 400), orientation=6)
    stored = store_upload(kit.upload("sideways.jpg", data))

    assert (stored.width, stored.height) == (400, 800)
    with default_storage.open(stored.thumb_path, "rb") as fh, Image.open(fh) as thumb:
        thumb.load()
        assert thumb.format == "WEBP"
        assert max(thumb.size) <= 320
        assert thumb.size == (160, 320)
        top = thumb.convert("RGB").getpixel((80, 40))
        bottom = thumb.convert("RGB").getpixel((80, 280))
    assert top[0] > 200 and top[2] < 60  # red
    assert bottom[2] > 200 and bottom[0] < 60  # blue
    # The original is kept byte for byte (evidence).
    with default_storage.open(stored.path, "rb") as fh:
        assert fh.read() == data


def test_small_image_thumbnail_is_not_enlarged(kit):
    stored = store_upload(kit.upload("tiny.png", kit.image_bytes("PNG", (30, 20))))
    with default_storage.open(stored.thumb_path, "rb") as fh, Image.open(fh) as thumb:
        assert thumb.size == (30, 20)


# --- helpers --------------------------------------------------------------------


def test_detect_format_heif_brands():
    def ftyp(major: bytes, *compat: bytes) -> bytes:
        body = major + b"\x00\x00\x00\x00" + b"".join(compat)
        return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 16

    assert detect_format(ftyp(b"heic", b"mif1", b"heic")).content_type == "image/heic"
    assert detect_format(ftyp(b"mif1", b"mif1", b"heic")).content_type == "image/heic"
    assert detect_format(ftyp(b"mif1", b"mif1")).content_type == "image/heif"
    assert detect_format(ftyp(b"msf1", b"msf1")).content_type == "image/heif"
    assert detect_format(ftyp(b"avif", b"mif1", b"avif")) is None
    assert detect_format(ftyp(b"isom", b"mp41")) is None


def test_clean_filename():
    assert clean_filename("C:\\Users\\张三\\整改前.jpg") == "整改前.jpg"
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("photo\u202egpj.exe") == "photogpj.exe"
    assert clean_filename("") == "未命名文件"
    assert clean_filename(None) == "未命名文件"
    long = "长" * 300 + ".jpeg"
    assert len(clean_filename(long)) == 255 and clean_filename(long).endswith(".jpeg")


def test_format_size():
    assert format_size(20 * 1024 * 1024) == "20 MB"
    assert format_size(1536 * 1024) == "1.5 MB"
    assert format_size(2048) == "2 KB"
    assert format_size(999) == "999 字节"


def test_file_link_is_abstract_with_expected_fields():
    assert FileLink._meta.abstract
    names = {f.name for f in FileLink._meta.get_fields()}
    assert {"file", "original_name", "uploaded_at", "uploaded_by"} <= names
    assert FileLink._meta.get_field("original_name").max_length == 255


# --- decoding memory (issue 9, item 11) -------------------------------------------


def real_png(width: int, height: int) -> bytes:
    """A valid, fully decodable white RGB PNG of any size, built row by row
    (a 79-megapixel one is ~230 KB and costs nothing to build)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\xff" * (3 * width)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int, *, progressive: bool = False) -> bytes:
    """A small JPEG whose frame header (SOF) claims ``width`` x ``height``."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "gray").save(out, format="JPEG", progressive=progressive)
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc2" if progressive else b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@pytest.fixture
def decoded_sizes(monkeypatch):
    """The size of every image buffer Pillow allocates (``Image.core.new``:
    the frame a decoder writes into, and every copy made of it)."""
    sizes: list[tuple[int, int]] = []
    original = Image.core.new

    def spy(mode, size, *args):
        sizes.append(tuple(size))
        return original(mode, size, *args)

    monkeypatch.setattr(Image.core, "new", spy)
    return sizes


def largest(sizes: list[tuple[int, int]]) -> int:
    return max((w * h for w, h in sizes), default=0)


def test_79_megapixel_png_is_refused_from_its_header_without_decoding(kit, decoded_sizes):
    data = real_png(10000, 7900)
    assert len(data) < 400 * 1024  # the attack: a small file, 300 MB once decoded

    exc = refused(kit.upload("现场.png", data))

    assert exc.message == (
        "文件“现场.png”的图片尺寸过大（10000×7900 像素，上限 1600 万像素），请缩小或转换为 JPEG 照片后再上传"
    )
    assert decoded_sizes == []
    assert_nothing_written(kit)


def test_png_under_the_full_decode_limit_is_stored(kit, settings):
    settings.ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE = 2000 * 1000
    stored = store_upload(kit.upload("截图.png", real_png(2000, 1000)))
    assert (stored.width, stored.height) == (2000, 1000)
    with default_storage.open(stored.thumb_path, "rb") as fh, Image.open(fh) as thumb:
        assert thumb.size == (320, 160)


def test_photo_pixel_cap_is_52_megapixels(kit, decoded_sizes):
    # One row of 8x8 blocks beyond 52 MP is refused before decoding ...
    exc = refused(kit.upload("大图.jpg", jpeg_claiming(8320, 6272)))
    assert exc.message == "文件“大图.jpg”的图片尺寸过大（8320×6272 像素，上限 5200 万像素），请缩小后再上传"
    assert decoded_sizes == []
    # ... while 8192x6144 (50.3 MP), what 50-megapixel phone sensors write, passes.
    stored = store_upload(kit.upload("手机.jpg", jpeg_claiming(8192, 6144)))
    assert (stored.width, stored.height) == (8192, 6144)
    assert largest(decoded_sizes) == 1024 * 768  # decoded at 1/8 scale


def test_50_megapixel_phone_jpeg_is_stored_decoded_at_one_eighth_scale(kit, decoded_sizes):
    out = io.BytesIO()
    Image.new("L", (8192, 6144), 128).save(out, format="JPEG", quality=70)
    data = out.getvalue()
    decoded_sizes.clear()

    stored = store_upload(kit.upload("IMG_50MP.jpg", data))

    assert (stored.width, stored.height) == (8192, 6144)
    assert stored.has_thumbnail
    assert largest(decoded_sizes) == 1024 * 768


def test_progressive_jpeg_is_held_to_the_full_decode_limit(kit, decoded_sizes):
    # libjpeg keeps every coefficient of a progressive JPEG whatever the scale.
    exc = refused(kit.upload("网图.jpg", jpeg_claiming(5000, 4000, progressive=True)))
    assert exc.message == (
        "文件“网图.jpg”的图片尺寸过大（5000×4000 像素，上限 1600 万像素），请缩小或转换为 JPEG 照片后再上传"
    )
    assert decoded_sizes == []


def test_heic_is_thumbnailed_from_its_embedded_thumbnail(kit, settings, decoded_sizes):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("no HEIC encoder here")
    out = io.BytesIO()
    kit.two_tone((640, 480)).save(out, format="HEIF", quality=60, thumbnails=[320])
    settings.ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE = 100_000  # the full image may not be decoded
    decoded_sizes.clear()

    stored = store_upload(kit.upload("IMG_0002.HEIC", out.getvalue()))

    assert (stored.width, stored.height) == (640, 480)
    assert largest(decoded_sizes) == 320 * 240
    with default_storage.open(stored.thumb_path, "rb") as fh, Image.open(fh) as thumb:
        assert thumb.size == (320, 240)


def test_heic_without_thumbnail_is_held_to_the_full_decode_limit(kit, settings):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("no HEIC encoder here")
    out = io.BytesIO()
    kit.two_tone((640, 480)).save(out, format="HEIF", quality=60)
    settings.ZHIBEN_UPLOAD_MAX_PIXELS_FULL_DECODE = 100_000

    exc = refused(kit.upload("IMG_0003.HEIC", out.getvalue()))

    assert exc.message == (
        "文件“IMG_0003.HEIC”的图片尺寸过大（640×480 像素，上限 10 万像素），请缩小或转换为 JPEG 照片后再上传"
    )
    assert_nothing_written(kit)


class Gate:
    """Makes each image decode wait until released, counting how many run at once."""

    def __init__(self, monkeypatch):
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.entered = threading.Semaphore(0)
        original = services._decode_thumbnail

        def gated(*args, **kwargs):
            with self.lock:
                self.running += 1
                self.most = max(self.most, self.running)
            self.entered.release()
            try:
                self.release.wait(10)
                return original(*args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1

        monkeypatch.setattr(services, "_decode_thumbnail", gated)


def test_at_most_two_images_are_decoded_at_once(kit, settings, monkeypatch):
    settings.ZHIBEN_IMAGE_DECODE_WAIT = 10
    gate = Gate(monkeypatch)
    errors: list[Exception] = []

    def check(i: int) -> None:
        try:
            check_upload(kit.upload(f"{i}.jpg", kit.image_bytes("JPEG", (40 + i, 30))))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=check, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    assert gate.entered.acquire(timeout=5) and gate.entered.acquire(timeout=5)
    assert not gate.entered.acquire(timeout=0.3)  # the third waits for a slot
    gate.release.set()
    for t in threads:
        t.join(10)
    assert errors == []
    assert gate.most == 2


def test_upload_waiting_too_long_for_a_decode_slot_is_refused_as_busy(kit, settings, monkeypatch):
    settings.ZHIBEN_IMAGE_DECODE_SLOTS = 1
    settings.ZHIBEN_IMAGE_DECODE_WAIT = 0.2
    gate = Gate(monkeypatch)
    holder = threading.Thread(target=check_upload, args=(kit.upload("a.jpg", kit.image_bytes("JPEG")),))
    holder.start()
    try:
        assert gate.entered.acquire(timeout=5)
        with pytest.raises(ServerBusy) as info:
            store_uploads([kit.upload("b.pdf", kit.pdf_bytes()), kit.upload("c.jpg", kit.image_bytes("JPEG"))])
    finally:
        gate.release.set()
        holder.join(10)
    assert info.value.message == "服务器繁忙，请稍后再试"
    assert info.value.status == 429 and info.value.code == "server_busy"
    assert_nothing_written(kit)
    # Once the slot is free again, the same upload goes through.
    assert store_upload(kit.upload("c.jpg", kit.image_bytes("JPEG"))).has_thumbnail


def test_heic_without_thumbnail_is_reduced_band_by_band_whole_and_upright(kit, decoded_sizes):
    pillow_heif = pytest.importorskip("pillow_heif")
    if not pillow_heif.libheif_info().get("HEIF"):
        pytest.skip("no HEIC encoder here")
    out = io.BytesIO()
    kit.two_tone((2600, 1950)).save(out, format="HEIF", quality=80)  # 1950 rows: the last band is partial
    decoded_sizes.clear()

    stored = store_upload(kit.upload("IMG_0004.HEIC", out.getvalue()))

    assert (stored.width, stored.height) == (2600, 1950)
    assert largest(decoded_sizes) <= 650 * 488  # never a full-size Pillow frame
    with default_storage.open(stored.thumb_path, "rb") as fh, Image.open(fh) as thumb:
        thumb = thumb.convert("RGB")
        assert thumb.size == (320, 240)
        for y in (2, 120, 238):  # top, middle and the last (partial) band
            left, right = thumb.getpixel((40, y)), thumb.getpixel((280, y))
            assert left[0] > 200 and left[2] < 60, (y, left)  # red
            assert right[2] > 200 and right[0] < 60, (y, right)  # blue


def two_scans(jpeg: bytes) -> bytes:
    """The JPEG with its scan repeated: a baseline JPEG of two scans (what a
    baseline file with its colour components in separate scans looks like
    to libjpeg)."""
    sos, eoi = jpeg.index(b"\xff\xda"), jpeg.rindex(b"\xff\xd9")
    return jpeg[:eoi] + jpeg[sos:eoi] + jpeg[eoi:]


def test_jpeg_scan_count(kit):
    baseline = kit.image_bytes("JPEG", (64, 48), orientation=6)  # EXIF (APP1) before the scan
    out = io.BytesIO()
    kit.two_tone((64, 48)).save(out, format="JPEG", progressive=True)
    assert services.jpeg_scan_count(baseline) == 1
    assert services.jpeg_scan_count(out.getvalue()) == 2  # counts up to 2
    assert services.jpeg_scan_count(out.getvalue(), stop_at=100) > 2
    assert services.jpeg_scan_count(two_scans(baseline)) == 2
    assert services.jpeg_scan_count(baseline[:200]) <= 1  # truncated: no crash


def test_baseline_jpeg_of_several_scans_is_held_to_the_full_decode_limit(kit, decoded_sizes):
    exc = refused(kit.upload("多扫描.jpg", two_scans(jpeg_claiming(5000, 4000))))
    assert exc.message == (
        "文件“多扫描.jpg”的图片尺寸过大（5000×4000 像素，上限 1600 万像素），请缩小或转换为 JPEG 照片后再上传"
    )
    assert decoded_sizes == []
