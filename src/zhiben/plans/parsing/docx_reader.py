"""Read a .docx into blocks: paragraphs and tables in document order.

* Paragraph text includes Word's *automatic numbering* ("一、", "（一）", "1.")
  rendered from numbering.xml, because python-docx's ``paragraph.text`` leaves
  it out and our outline depends on those labels.
* Table cells are read from the XML so that merged cells look like they do in
  a text export: a vertically merged continuation cell is empty, and a cell
  spanning n grid columns is followed by n-1 empty cells.
* Content controls (w:sdt) are looked into; nested tables are flattened into
  their cell's text.
"""

from __future__ import annotations

import io
import zipfile

from .blocks import Block, Paragraph, Table, make_cell
from .errors import PlanParseError
from .numerals import to_chinese
from .textnorm import clean_line

try:  # python-docx is a declared dependency; keep the import error readable.
    import docx
    from docx.oxml.ns import qn
except ImportError as exc:  # pragma: no cover
    raise ImportError("python-docx is required to read .docx plans") from exc

_INVALID_DOCX = "不是有效的Word文件（.docx）：文件已损坏或不是Word文档，请用Word/WPS另存为 .docx 或 .txt 后再上传"


def read_docx(data: bytes) -> list[Block]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise PlanParseError(_INVALID_DOCX)
        document = docx.Document(io.BytesIO(data))
    except PlanParseError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, KeyError, lxml errors …
        raise PlanParseError(_INVALID_DOCX) from exc
    numbering = _Numbering(document)
    blocks: list[Block] = []
    _walk(document.element.body, numbering, blocks)
    return blocks


def _walk(container, numbering: _Numbering, blocks: list[Block]) -> None:
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            text = numbering.label(child) + _paragraph_text(child)
            for line in text.split("\n"):
                cleaned = clean_line(line)
                if cleaned:
                    blocks.append(Paragraph(cleaned))
        elif child.tag == qn("w:tbl"):
            rows = _table_rows(child)
            if rows:
                blocks.append(Table(rows))
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                _walk(content, numbering, blocks)


def _paragraph_text(p) -> str:
    """Text of a w:p: runs, tabs and line breaks, including inside hyperlinks."""
    out: list[str] = []
    for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")):
        if node.tag == qn("w:t"):
            out.append(node.text or "")
        elif node.tag == qn("w:tab"):
            out.append("\t")
        else:
            out.append("\n")
    return "".join(out)


def _table_rows(tbl) -> tuple[tuple[str, ...], ...]:
    rows: list[tuple[str, ...]] = []
    for tr in tbl.iterchildren(qn("w:tr")):
        cells: list[str] = []
        tr_pr = tr.find(qn("w:trPr"))
        if tr_pr is not None:
            before = tr_pr.find(qn("w:gridBefore"))
            if before is not None:
                cells.extend([""] * int(before.get(qn("w:val"), "0")))
        for tc in tr.iterchildren(qn("w:tc")):
            tc_pr = tc.find(qn("w:tcPr"))
            span, continued = 1, False
            if tc_pr is not None:
                grid_span = tc_pr.find(qn("w:gridSpan"))
                if grid_span is not None:
                    span = int(grid_span.get(qn("w:val"), "1"))
                v_merge = tc_pr.find(qn("w:vMerge"))
                if v_merge is not None and v_merge.get(qn("w:val"), "continue") != "restart":
                    continued = True
            text = "" if continued else make_cell(_paragraph_text(p) for p in tc.iter(qn("w:p")))
            cells.append(text)
            cells.extend([""] * (span - 1))
        rows.append(tuple(cells))
    if not rows:
        return ()
    width = max(len(r) for r in rows)
    return tuple(r + ("",) * (width - len(r)) for r in rows)


# --- automatic numbering ---------------------------------------------------------


def _format_number(fmt: str, n: int) -> str:
    if fmt in (
        "chineseCounting",
        "chineseCountingThousand",
        "japaneseCounting",
        "ideographTraditional",
        "taiwaneseCounting",
        "taiwaneseCountingThousand",
        "chineseLegalSimplified",
    ):
        return to_chinese(n) if 0 < n < 100 else str(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 0 < n <= 20:
        return chr(0x2460 + n - 1)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter") and 0 < n <= 26:
        letter = chr(ord("a") + n - 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("none", "bullet"):
        return ""
    return str(n)  # decimal, decimalFullWidth, decimalHalfWidth and anything unknown


class _Numbering:
    """Renders list labels the way Word shows them (counters per list instance)."""

    def __init__(self, document) -> None:
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId → ilvl → (start, fmt, text)
        self.counters: dict[str, dict[int, int]] = {}
        self.style_numbering: dict[str, tuple[str, int]] = {}
        try:
            numbering = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for an in numbering.iterchildren(qn("w:abstractNum")):
            levels = {}
            for lvl in an.iterchildren(qn("w:lvl")):
                ilvl = int(lvl.get(qn("w:ilvl"), "0"))
                levels[ilvl] = (
                    int(_val(lvl, "w:start") or "1"),
                    _val(lvl, "w:numFmt") or "decimal",
                    _val(lvl, "w:lvlText") or "",
                )
            abstract[an.get(qn("w:abstractNumId"))] = levels
        for num in numbering.iterchildren(qn("w:num")):
            levels = dict(abstract.get(_val(num, "w:abstractNumId") or "", {}))
            for override in num.iterchildren(qn("w:lvlOverride")):
                ilvl = int(override.get(qn("w:ilvl"), "0"))
                start = _val(override, "w:startOverride")
                if start and ilvl in levels:
                    levels[ilvl] = (int(start), *levels[ilvl][1:])
            self.levels[num.get(qn("w:numId"))] = levels
        for style in document.styles.element.iterchildren(qn("w:style")):
            num_pr = style.find(qn("w:pPr") + "/" + qn("w:numPr"))
            if num_pr is not None:
                num_id = _val(num_pr, "w:numId")
                if num_id:
                    self.style_numbering[style.get(qn("w:styleId"))] = (num_id, int(_val(num_pr, "w:ilvl") or "0"))

    def label(self, p) -> str:
        num_id, ilvl = self._num_pr(p)
        if not num_id or num_id == "0" or num_id not in self.levels:
            return ""
        levels = self.levels[num_id]
        if ilvl not in levels:
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl][0] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        text = levels[ilvl][2]
        for k, (start, fmt, _text) in levels.items():
            placeholder = f"%{k + 1}"
            if placeholder in text:
                text = text.replace(placeholder, _format_number(fmt, counters.get(k, start)))
        return text

    def _num_pr(self, p) -> tuple[str | None, int]:
        p_pr = p.find(qn("w:pPr"))
        if p_pr is None:
            return None, 0
        num_pr = p_pr.find(qn("w:numPr"))
        if num_pr is not None:
            return _val(num_pr, "w:numId"), int(_val(num_pr, "w:ilvl") or "0")
        style = p_pr.find(qn("w:pStyle"))
        if style is not None:
            return self.style_numbering.get(style.get(qn("w:val")), (None, 0))
        return None, 0


def _val(element, tag: str) -> str | None:
    child = element.find(qn(tag))
    return None if child is None else child.get(qn("w:val"))
