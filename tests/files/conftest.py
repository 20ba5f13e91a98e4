"""Fixtures for the evidence-file tests: a private media root per test and
builders for real image and PDF bytes."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_names(prefix: str = "") -> list[str]:
    """Every object in the default storage under ``prefix`` (Storage API only)."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return []
    names = [f"{prefix}/{f}" if prefix else f for f in files]
    for d in dirs:
        names += stored_names(f"{prefix}/{d}" if prefix else d)
    return sorted(names)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def two_tone(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue (so orientation can be checked)."""
    width, height = size
    im = Image.new(mode, size, (0, 0, 255) if mode == "RGB" else (0, 0, 255, 255))
    im.paste((255, 0, 0) if mode == "RGB" else (255, 0, 0, 255), (0, 0, width // 2, height))
    return im


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), *, orientation: int | None = None, mode="RGB") -> bytes:
    im = two_tone(size, mode)
    out = io.BytesIO()
    kwargs = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        kwargs["exif"] = exif.tobytes()
    im.save(out, format=fmt, **kwargs)
    return out.getvalue()


def pdf_bytes() -> bytes:
    """A small real PDF (one page), as written by Pillow."""
    out = io.BytesIO()
    Image.new("RGB", (100, 140), "white").save(out, format="PDF")
    return out.getvalue()


@pytest.fixture
def kit():
    """The builders above, for test modules (conftest is not importable)."""
    return SimpleNamespace(
        stored_names=stored_names, upload=upload, two_tone=two_tone, image_bytes=image_bytes, pdf_bytes=pdf_bytes
    )
