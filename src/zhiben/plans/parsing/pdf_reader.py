"""The text layer of a .pdf plan (pypdf), turned back into paragraphs.

A PDF has no paragraphs, only visual lines.  A line ends its paragraph when
it is clearly shorter than a full line of the document (the widest lines,
measured with CJK characters as two columns) or when the next line starts
with an outline label (一、 （一） 1. ① 附件) and the line before it ends a
sentence (a wrapped line may start with "一、协调…" of "统一、协调").  Page numbers ("- 3 -", "第3页")
are dropped, and the spaces PDF producers put between CJK text and digits
("2024 年") are removed.

Bounds: at most :data:`MAX_PAGES` pages and :data:`MAX_CHARS` characters of
text; a PDF without a text layer (a scan) or an encrypted one is refused with
a Chinese message, as is a file pypdf cannot read.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata

from .errors import PlanParseError

MAX_PAGES = 300
MAX_CHARS = 2_000_000
# Fewer letters than this in the whole file: no text layer (a scanned plan).
_MIN_LETTERS = 30

_SCANNED = (
    "该 PDF 没有文字层（可能是扫描件），无法读取其中的文字：请上传 Word（.docx）或文本（.txt）版本，"
    "或先用 OCR 软件识别成文字后再上传"
)
_ENCRYPTED = "该 PDF 设有打开密码，无法读取：请去除密码后再上传，或上传 .docx/.txt 版本"
_BROKEN = "无法读取该 PDF 文件（文件可能已损坏或不完整）：请重新导出后再上传，或上传 .docx/.txt 版本"
_TOO_MANY_PAGES = "该 PDF 共 {pages} 页，超过方案文件的上限 {limit} 页：请只上传方案正文"
_TOO_MUCH_TEXT = "该 PDF 的文字超过 {limit} 个字符，不像一份行动方案：请只上传方案正文"

_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}]) (?=[^ ])|(?<=[^ ]) (?=[{_CJK}])")
_PAGE_NUMBER = re.compile(r"^(?:[-—–－·\s]*\d{1,4}[-—–－·\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?)$")
_LABEL = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,3}[.、．](?!\d)|[①-⑳]|附件)"
)
# A full line ending so may end its paragraph (if the next line starts with a label).
_SENTENCE_END = ("。", "；", ";", "：", ":", "！", "？", "”", "）", ")")
# A line at most this many columns (two per CJK character) short of a full line still runs on.
_SLACK = 6


def read_pdf_text(data: bytes) -> str:
    """The plan's text, one paragraph a line; raises PlanParseError."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed-but-readable files are common
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise PlanParseError(_ENCRYPTED)
        pages = len(reader.pages)
        if pages > MAX_PAGES:
            raise PlanParseError(_TOO_MANY_PAGES.format(pages=pages, limit=MAX_PAGES))
        page_lines: list[list[str]] = []
        total = 0
        for page in reader.pages:
            text = page.extract_text() or ""
            total += len(text)
            if total > MAX_CHARS:
                raise PlanParseError(_TOO_MUCH_TEXT.format(limit=MAX_CHARS))
            page_lines.append(_clean_lines(text))
    except PlanParseError:
        raise
    except Exception as exc:  # PdfReadError, and the many errors of a malformed file's objects
        raise PlanParseError(_BROKEN) from exc
    lines = [line for page in page_lines for line in page]
    letters = sum(1 for line in lines for ch in line if ch.isalnum())
    if letters < _MIN_LETTERS:
        raise PlanParseError(_SCANNED)
    return "\n".join(join_lines(lines))


def _clean_lines(text: str) -> list[str]:
    lines = []
    for raw in text.split("\n"):
        line = raw.strip()
        if line and not _PAGE_NUMBER.match(line):
            lines.append(line)
    return lines


def width(line: str) -> int:
    """Columns of a line: wide characters count two, and so do the ambiguous
    ones (“”…—·), which CJK fonts draw full-width."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in line)


def join_lines(lines: list[str]) -> list[str]:
    """Visual lines → paragraphs (see the module docstring).  Widths are measured
    before the spaces around digits are removed: they stand for the gap the
    producer drew there."""
    if not lines:
        return []
    widths = sorted(width(line) for line in lines)
    full = widths[int(len(widths) * 0.9)]  # the widest lines, ignoring a few overlong ones
    paragraphs: list[str] = []
    runs_on = ended = False
    for line in lines:
        if runs_on and not (ended and _LABEL.match(line)):
            paragraphs[-1] += line
        else:
            paragraphs.append(line)
        runs_on = width(line) >= full - _SLACK
        ended = line.endswith(_SENTENCE_END)
    return [_SPACE_NEAR_CJK.sub("", paragraph) for paragraph in paragraphs]
