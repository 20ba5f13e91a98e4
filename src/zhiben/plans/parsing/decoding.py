"""From uploaded bytes to blocks: format detection and text decoding.

* ``PK\\x03\\x04`` (zip) → .docx, whatever the file name says;
* OLE2 (old .doc/.xls) → a clear refusal;
* ``%PDF`` in the first 1 KB → the PDF's text layer (:mod:`.pdf_reader`);
* a page starting with ``<!DOCTYPE html>``/``<html>``/``<head>``/``<body>``/``<meta>``
  (or any tag when the name ends in .html/.htm) → the article's text
  (:mod:`.html_reader`);
* more than :data:`MAX_BYTES` → refused (the upload does not bound it);
* otherwise text: a UTF-8/UTF-16 BOM decides; else strict UTF-8, else strict
  GB18030.  Content with NUL bytes, many control characters, or (for the
  GB18030 fallback) mostly characters that never occur in Chinese plans is
  refused as binary.
"""

from __future__ import annotations

import codecs
import unicodedata

from .blocks import Block, blocks_from_text
from .docx_reader import read_docx
from .errors import PlanParseError
from .html_reader import looks_like_html, read_html_blocks
from .pdf_reader import read_pdf_text
from .textnorm import normalize_text

EMPTY = "文件为空"
_BINARY = (
    "无法识别的文件内容：文件看起来是二进制数据（如图片、压缩包），请上传 .txt（UTF-8 或 GB18030 编码）或 .docx 文件"
)
_UNDECODABLE = "无法识别的文件内容：文字编码既不是 UTF-8 也不是 GB18030，请另存为 UTF-8 编码的 .txt 或 .docx 后再上传"
_OLD_OFFICE = "无法识别的文件内容：这是旧版Office文件（.doc 等），请用Word/WPS另存为 .docx 或 .txt 后再上传"
_TOO_BIG = "文件过大（{size:.1f} MB），方案文件最大 {limit} MB"
MAX_BYTES = 20 * 1024 * 1024

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_CONTROL_SHARE = 0.01
_MIN_PLAUSIBLE_SHARE = 0.9


def load_blocks(data: bytes, filename: str = "") -> list[Block]:
    """Blocks of an uploaded plan file (``filename`` only helps to tell HTML)."""
    if not data or not data.strip():
        raise PlanParseError(EMPTY)
    if len(data) > MAX_BYTES:
        raise PlanParseError(_TOO_BIG.format(size=len(data) / 1024 / 1024, limit=MAX_BYTES // 1024 // 1024))
    if data.startswith(_ZIP_MAGIC):
        return read_docx(data)
    if data.startswith(_OLE_MAGIC):
        raise PlanParseError(_OLD_OFFICE)
    if b"%PDF-" in data[:1024]:
        return blocks_from_text(normalize_text(read_pdf_text(data)))
    if looks_like_html(data, filename):
        return read_html_blocks(data, decode_text)
    return blocks_from_text(normalize_text(decode_text(data)))


def decode_text(data: bytes) -> str:
    """Decode a text file (see module docstring); raises PlanParseError."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return _checked(data[len(bom) :].decode(codec), strict_plausibility=False)
            except UnicodeDecodeError as exc:
                raise PlanParseError(_UNDECODABLE) from exc
    if b"\x00" in data:
        raise PlanParseError(_BINARY)
    try:
        return _checked(data.decode("utf-8"), strict_plausibility=False)
    except UnicodeDecodeError:
        pass
    try:
        return _checked(data.decode("gb18030"), strict_plausibility=True)
    except UnicodeDecodeError as exc:
        raise PlanParseError(_UNDECODABLE) from exc


def _checked(text: str, strict_plausibility: bool) -> str:
    if not text.strip():
        raise PlanParseError(EMPTY)
    if "\x00" in text:
        raise PlanParseError(_BINARY)
    control = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if control / len(text) > _MAX_CONTROL_SHARE:
        raise PlanParseError(_BINARY)
    if strict_plausibility:
        plausible = sum(1 for ch in text if _plausible(ch))
        if plausible / len(text) < _MIN_PLAUSIBLE_SHARE:
            raise PlanParseError(_BINARY)
    return text


def _plausible(ch: str) -> bool:
    """Characters a Chinese plan is made of (GB18030 decodes noise into others)."""
    code = ord(ch)
    return (
        code < 0x7F
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0x3000 <= code <= 0x303F  # CJK punctuation
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x2000 <= code <= 0x206F  # general punctuation (“”…—)
        or 0x2460 <= code <= 0x24FF  # ①②③
        or 0x2160 <= code <= 0x217F  # Ⅰ Ⅱ Ⅲ
        or code in (0xB7, 0xD7, 0xF7, 0xB0)  # · × ÷ °
    )
