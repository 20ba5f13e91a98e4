"""Evidence files (photos and PDFs), stored once by content.

A :class:`StoredFile` is a content-addressed blob: its bytes live in the
default storage under a path derived from their SHA-256, so the same content
uploaded twice is stored once and shared. A StoredFile carries no owner and
no scope: it is only ever reached through a link row in another app (e.g. the
hazard ledger's evidence), which subclasses :class:`FileLink`, keeps the
original file name and decides who may see it.

Rows are written only by :func:`zhiben.files.services.store_upload`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from zhiben.core.fields import user_fk


class FileKind(models.TextChoices):
    IMAGE = "image", "图片"
    PDF = "pdf", "PDF文件"


# Detected content type -> extension used in the storage path.
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/heif": "heif",
    "application/pdf": "pdf",
}
THUMB_CONTENT_TYPE = "image/webp"
THUMB_EXTENSION = "webp"
STORAGE_PREFIX = "evidence"


def blob_path(sha256: str, extension: str) -> str:
    """``evidence/ab/cd/abcd….jpg``: where the bytes with this hash live."""
    return f"{STORAGE_PREFIX}/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def thumb_path(sha256: str) -> str:
    """``evidence/thumbs/ab/cd/abcd….webp``: where the thumbnail lives."""
    return f"{STORAGE_PREFIX}/thumbs/{sha256[:2]}/{sha256[2:4]}/{sha256}.{THUMB_EXTENSION}"


class StoredFile(models.Model):
    """存储文件: one distinct content (photo or PDF), validated by its bytes.

    ``content_type`` and ``kind`` are detected from the content, never taken
    from the client. ``width``/``height`` are the image's size as displayed
    (after its EXIF orientation); ``None`` for PDFs.
    """

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    size = models.PositiveBigIntegerField("大小（字节）")
    content_type = models.CharField("内容类型", max_length=100)
    kind = models.CharField("类别", max_length=10, choices=FileKind.choices)
    width = models.PositiveIntegerField("宽度（像素）", null=True, blank=True)
    height = models.PositiveIntegerField("高度（像素）", null=True, blank=True)
    has_thumbnail = models.BooleanField("有缩略图", default=False)
    created_at = models.DateTimeField("存储时间", auto_now_add=True)

    class Meta:
        verbose_name = "存储文件"
        verbose_name_plural = "存储文件"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}.{self.extension}"

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.content_type, "bin")

    @property
    def path(self) -> str:
        """Storage name of the original bytes."""
        return blob_path(self.sha256, self.extension)

    @property
    def thumb_path(self) -> str | None:
        """Storage name of the thumbnail, or ``None`` when there is none."""
        return thumb_path(self.sha256) if self.has_thumbnail else None

    @property
    def is_image(self) -> bool:
        return self.kind == FileKind.IMAGE

    @property
    def is_pdf(self) -> bool:
        return self.kind == FileKind.PDF


class FileLink(models.Model):
    """Base for an app's link to a stored file (e.g. 隐患整改照片).

    Subclasses add the record the file belongs to and decide who may see
    it; the file's own row is shared by every link to the same content.
    """

    file = models.ForeignKey(
        StoredFile,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_links",
        verbose_name="文件",
    )
    original_name = models.CharField("原文件名", max_length=255)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = user_fk("上传人")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name
