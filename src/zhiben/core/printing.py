"""Print layout for the documents Zhiben generates for people to print.

Offices print the official forms (任务分解表, 检查记录 …) from WPS or
LibreOffice and hand them on, so every such workbook and document is laid out
for paper, not only for the screen:

- A4, landscape when the columns are wider than a portrait page, scaled to
  one page wide (``fitToWidth=1``, ``fitToHeight=0``: as many pages down as
  needed), the header rows repeated on every page, a page number footer;
- borders on every cell of the table;
- row heights written explicitly and tall enough for the wrapped text. WPS
  and Excel do not grow a row to fit its text when a file is opened, and
  nobody grows a row for a cell merged over several rows, so the height is
  computed here: the wrapped line count of each cell from its column width
  (in Excel's width units, the width of a "0" of the default font; a CJK
  glyph takes about two of them) times the line height, plus padding.

Raw data exports (隐患台账, the registry exports) and import templates are for
machines and stay flat; they do not use this module.

The last part runs LibreOffice headless to turn a generated file into a PDF
(as WPS users print it); the tests use it to check the printed result.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

# --- Measuring wrapped text ----------------------------------------------------------------------

# At 10.5 pt (五号) a CJK glyph is 14 px wide, two widths of Calibri 11's "0"
# (7 px), the unit Excel column widths are given in. Other sizes scale.
_CJK_UNITS_AT = (2.0, 10.5)
# A cell's inner margins and the gridline take about one unit of its width.
CELL_PADDING_UNITS = 1.0
# Line pitch: 宋体 in WPS/Excel ≈ 1.3 em (a one-line 11 pt row is 14.25 pt);
# LibreOffice with Noto CJK (its stand-in for 宋体 on Linux) ≈ 1.15 em.
LINE_HEIGHT_EM = 1.3
ROW_PADDING_POINTS = 6.0

# Characters that may not begin a line (禁则) stick to the character before
# them; opening brackets stick to the character after them.
_NO_LINE_START = set("，。、；：！？）》」』】〕〉”’…—·%,.;:!?)]}")
_NO_LINE_END = set("（《「『【〔〈“‘([{")


def char_units(char: str, *, font_size: float = 11) -> float:
    """Width of one character in column-width units: CJK (wide, full-width
    and ambiguous-width, which Chinese fonts draw wide) ≈ 2, others ≈ 1."""
    cjk = _CJK_UNITS_AT[0] * font_size / _CJK_UNITS_AT[1]
    if unicodedata.east_asian_width(char) in ("W", "F", "A"):
        return cjk
    return cjk / 2


def text_units(text: str, *, font_size: float = 11) -> float:
    """Width of ``text`` on one line, in column-width units."""
    return sum(char_units(c, font_size=font_size) for c in text)


def _tokens(paragraph: str) -> list[str]:
    """Units that wrap as a whole: one CJK character, one Latin word or a
    run of spaces, with 禁则 punctuation glued to its neighbour."""
    tokens: list[str] = []
    for char in paragraph:
        wide = unicodedata.east_asian_width(char) in ("W", "F", "A")
        previous = tokens[-1] if tokens else ""
        if previous and (char in _NO_LINE_START or previous[-1] in _NO_LINE_END):
            tokens[-1] += char
        elif previous and not wide and not char.isspace() and not previous[-1].isspace():
            last_wide = unicodedata.east_asian_width(previous[-1]) in ("W", "F", "A")
            if last_wide:
                tokens.append(char)
            else:
                tokens[-1] += char
        elif previous and char.isspace() and previous[-1].isspace():
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def wrapped_lines(text: str, width: float, *, font_size: float = 11) -> int:
    """How many lines ``text`` takes in a wrapping cell ``width`` units wide
    (greedy wrapping, as Excel, WPS and LibreOffice do; explicit line breaks
    kept). An empty cell takes one line."""
    capacity = max(width - CELL_PADDING_UNITS, 1.0)
    lines = 0
    for paragraph in str(text or "").split("\n"):
        lines += 1
        used = 0.0
        for token in _tokens(paragraph):
            size = text_units(token, font_size=font_size)
            if used + size <= capacity:
                used += size
                continue
            if token.isspace():  # spaces at the end of a line vanish
                continue
            if size > capacity:  # a word longer than the line breaks anywhere
                for char in token:
                    step = char_units(char, font_size=font_size)
                    if used + step > capacity and used > 0:
                        lines += 1
                        used = 0.0
                    used += step
                continue
            if used > 0:
                lines += 1
            used = size
    return lines


def line_height(font_size: float = 11) -> float:
    """The pitch of one line of text, in points."""
    return font_size * LINE_HEIGHT_EM


def row_height(lines: int, *, font_size: float = 11) -> float:
    """Height in points of a row holding ``lines`` lines of text."""
    return math.ceil((max(lines, 1) * line_height(font_size) + ROW_PADDING_POINTS) * 4) / 4


def text_height(text: str, width: float, *, font_size: float = 11) -> float:
    """Height in points a wrapping cell ``width`` units wide needs for ``text``."""
    return row_height(wrapped_lines(text, width, font_size=font_size), font_size=font_size)


class RowHeights:
    """Collects what each row of a sheet must hold and gives the heights.

    ``cell(row, text, width)`` for an ordinary cell; ``span(first, last,
    text, width)`` for a cell merged over rows ``first..last``: when the rows'
    own cells leave it short, the missing height is shared out over them.
    """

    def __init__(self, *, font_size: float = 11):
        self.font_size = font_size
        self.heights: dict[int, float] = {}
        self._spans: list[tuple[int, int, float]] = []

    def need(self, row: int, height: float) -> None:
        self.heights[row] = max(self.heights.get(row, 0.0), height)

    def cell(self, row: int, text: str, width: float, *, font_size: float | None = None) -> None:
        self.need(row, text_height(text, width, font_size=font_size or self.font_size))

    def span(self, first: int, last: int, text: str, width: float, *, font_size: float | None = None) -> None:
        if first == last:
            self.cell(first, text, width, font_size=font_size)
        else:
            self._spans.append((first, last, text_height(text, width, font_size=font_size or self.font_size)))

    def resolve(self) -> dict[int, float]:
        """Row → height in points, the spans shared out."""
        base = row_height(1, font_size=self.font_size)
        for first, last, needed in self._spans:
            rows = range(first, last + 1)
            for row in rows:
                self.heights.setdefault(row, base)
            missing = needed - sum(self.heights[row] for row in rows)
            if missing > 0:
                share = math.ceil(missing / len(rows) * 4) / 4
                for row in rows:
                    self.heights[row] += share
        return dict(self.heights)

    def apply(self, sheet) -> None:
        """Write the heights on an XlsxWriter worksheet."""
        for row, height in sorted(self.resolve().items()):
            sheet.set_row(row, height)


# --- Page setup ----------------------------------------------------------------------------------

# Width of the printable area in column-width units, A4 with the margins below
# (0.5 in left and right): portrait ≈ 7.27 in, landscape ≈ 10.69 in; a unit
# is 7 px at 96 dpi.
PORTRAIT_UNITS = 7.27 * 96 / 7
LANDSCAPE_UNITS = 10.69 * 96 / 7


A4_PAPER = 9  # the SpreadsheetML paper size code of A4 (XlsxWriter's set_paper)
A4_POINTS = (595.3, 841.9)
MARGINS_INCHES = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.7}


def is_landscape(widths: Sequence[float]) -> bool:
    return sum(widths) > PORTRAIT_UNITS


def column_points(width: float) -> float:
    """Printed width in points of a column ``width`` units wide (Excel: 7 px
    a unit plus 5 px of margin, 96 px an inch)."""
    return int(width * 7 + 5) * 0.75


def page_breaks(
    heights: dict[int, float],
    blocks: Sequence[tuple[int, int]],
    *,
    widths: Sequence[float],
    header_rows: tuple[int, int],
    landscape: bool | None = None,
) -> list[int]:
    """The rows before which a page must break so that no block of rows
    (``(first, last)``, e.g. one task whose cells are merged over its rows)
    is split over two pages. Pages are one sheet wide (so scaled down by
    the sheet's width) with ``header_rows`` repeated; 5% is kept in hand for
    rounding in WPS and LibreOffice. A block taller than a page is split."""
    if landscape is None:
        landscape = is_landscape(widths)
    page_height, page_width = A4_POINTS if landscape else A4_POINTS[::-1]
    usable_width = page_width - 72 * (MARGINS_INCHES["left"] + MARGINS_INCHES["right"])
    usable_height = page_height - 72 * (MARGINS_INCHES["top"] + MARGINS_INCHES["bottom"])
    scale = min(1.0, usable_width / sum(column_points(w) for w in widths))
    budget = usable_height / scale * 0.95
    base = row_height(1)
    header = sum(heights.get(r, base) for r in range(header_rows[0], header_rows[1] + 1))
    used = sum(heights.get(r, base) for r in range(0, header_rows[1] + 1))
    breaks = []
    for first, last in blocks:
        size = sum(heights.get(r, base) for r in range(first, last + 1))
        if used + size > budget and used > header:
            breaks.append(first)
            used = header
        used += size
    return breaks


def setup_sheet_for_print(
    sheet,
    *,
    widths: Sequence[float],
    header_rows: tuple[int, int] | None = None,
    landscape: bool | None = None,
    breaks: Sequence[int] = (),
) -> None:
    """A4, landscape when ``widths`` exceed a portrait page (or as given),
    one page wide and as many down as needed, ``header_rows`` (first, last,
    0-based) repeated on every page, page breaks before the rows ``breaks``
    (see :func:`page_breaks`), centred, with 第 N 页，共 M 页 in the footer.
    ``sheet`` is an XlsxWriter worksheet."""
    if landscape is None:
        landscape = is_landscape(widths)
    sheet.set_paper(A4_PAPER)
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_margins(**MARGINS_INCHES)
    sheet.center_horizontally()
    sheet.fit_to_pages(1, 0)
    if header_rows is not None:
        sheet.repeat_rows(*header_rows)
    if breaks:
        sheet.set_h_pagebreaks(list(breaks))
    sheet.set_footer("&C&9第 &P 页，共 &N 页")


def border_format(**extra) -> dict:
    """An XlsxWriter format dict for a table cell of a printed form: thin
    border, wrapping, vertically centred, 宋体."""
    return {"font_name": "宋体", "font_size": 11, "border": 1, "valign": "vcenter", "text_wrap": True, **extra}


# --- Word documents (python-docx) ----------------------------------------------------------------

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
A4_CM = (21.0, 29.7)


def _set_fonts(style, name: str) -> None:
    """``name`` for Latin and East Asian text of ``style`` (theme fonts
    removed: they would win over the name in Word and WPS)."""
    from docx.oxml.ns import qn

    style.font.name = name
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:eastAsia"), name)


def setup_document_for_print(
    document,
    *,
    margins_cm: tuple[float, float, float, float] = (2.5, 2.5, 2.5, 2.5),
    font_size: float = 10.5,
    landscape: bool = False,
) -> None:
    """A4 (portrait unless ``landscape``) with ``margins_cm`` (top, right,
    bottom, left); 宋体 body text at ``font_size`` pt and black 黑体
    headings, East Asian font set; 第 N 页 共 M 页 centred in the footer."""
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    width, height = A4_CM
    for section in document.sections:
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = (Cm(height), Cm(width)) if landscape else (Cm(width), Cm(height))
        top, right, bottom, left = (Cm(m) for m in margins_cm)
        section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = top, right, bottom, left
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.text = ""
        footer.add_run("第 ")
        _field(footer, "PAGE")
        footer.add_run(" 页 共 ")
        _field(footer, "NUMPAGES")
        footer.add_run(" 页")
    normal = document.styles["Normal"]
    _set_fonts(normal, BODY_FONT)
    normal.font.size = Pt(font_size)
    for name, size in (("Title", 18), ("Heading 1", 16), ("Heading 2", 12), ("Heading 3", 11)):
        style = document.styles[name]
        _set_fonts(style, HEADING_FONT)
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False


def _field(paragraph, instruction: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def text_width_cm(document) -> float:
    """Width between the margins of the document's first section, in cm."""
    from docx.shared import Length

    section = document.sections[0]
    return Length(section.page_width - section.left_margin - section.right_margin).cm


def setup_table_for_print(table, widths_cm: Sequence[float], *, header_rows: int = 0) -> None:
    """Fixed layout with the column widths ``widths_cm`` (which must fit
    between the margins), single borders all round and inside, and the first
    ``header_rows`` rows repeated at the top of every page (``w:tblHeader``).
    Call it once the rows are added."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    table.autofit = False  # w:tblLayout type="fixed"
    properties = table._tbl.tblPr
    width = properties.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        properties.append(width)
    width.set(qn("w:w"), str(sum(Cm(w).twips for w in widths_cm)))
    width.set(qn("w:type"), "dxa")
    borders = properties.find(qn("w:tblBorders"))
    if borders is not None:
        properties.remove(borders)
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:space"), "0")
        line.set(qn("w:color"), "000000")
        borders.append(line)
    # CT_TblPr's children have a fixed order: borders come after the layout/width elements.
    anchor = next(
        (
            properties.find(qn(t))
            for t in ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
            if properties.find(qn(t)) is not None
        ),
        None,
    )
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        properties.append(borders)
    for column, cm in zip(table.columns, widths_cm, strict=True):
        column.width = Cm(cm)
    for row in table.rows:
        for tc, cm in zip(row._tr.tc_lst, _row_widths(row, widths_cm), strict=True):
            tc.width = Cm(cm)
    for row in table.rows[:header_rows]:
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(header)


def _row_widths(row, widths_cm: Sequence[float]) -> list[float]:
    """The widths of a row's distinct cells (a merged cell spans several
    grid columns)."""
    from docx.oxml.ns import qn

    result, index = [], 0
    for tc in row._tr.tc_lst:
        span_el = tc.tcPr.find(qn("w:gridSpan")) if tc.tcPr is not None else None
        span = int(span_el.get(qn("w:val"))) if span_el is not None else 1
        result.append(sum(widths_cm[index : index + span]))
        index += span
    return result


# --- Checking the printed result -----------------------------------------------------------------


class ConversionError(RuntimeError):
    pass


def soffice_path() -> str | None:
    """The LibreOffice executable (``ZHIBEN_SOFFICE`` or ``soffice`` on PATH)."""
    return shutil.which(os.environ.get("ZHIBEN_SOFFICE", "soffice"))


def missing_tools() -> list[str]:
    """The programs the print checks need and this machine lacks (Debian:
    libreoffice-calc-nogui, libreoffice-writer-nogui, poppler-utils)."""
    tools = {"soffice": soffice_path(), "pdftotext": shutil.which("pdftotext"), "pdfinfo": shutil.which("pdfinfo")}
    return [name for name, path in tools.items() if path is None]


def convert_to_pdf(content: bytes, suffix: str, *, timeout: float = 180) -> bytes:
    """Convert a .xlsx/.docx to PDF with LibreOffice headless, as WPS users
    print it. Each call uses its own profile directory (and HOME), so
    parallel calls do not share LibreOffice's lock; a hung conversion is
    killed after ``timeout`` seconds."""
    soffice = soffice_path()
    if soffice is None:
        raise ConversionError("找不到 LibreOffice（soffice）")
    with tempfile.TemporaryDirectory(prefix="zhiben-print-") as tmp:
        work = Path(tmp)
        source = work / f"document{suffix}"
        source.write_bytes(content)
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        env = {**os.environ, "HOME": str(work)}
        try:
            result = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ConversionError(f"LibreOffice 转换超时（{timeout} 秒）") from exc
        target = work / "out" / "document.pdf"
        if result.returncode != 0 or not target.exists():
            raise ConversionError(f"LibreOffice 转换失败：{result.stderr.decode(errors='replace')[-500:]}")
        return target.read_bytes()


def pdf_info(pdf: bytes) -> dict[str, str]:
    """``pdfinfo``'s fields (Pages, Page size …)."""
    output = _poppler("pdfinfo", pdf)
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in output.splitlines()) if v}


def pdf_pages_text(pdf: bytes) -> list[str]:
    """The text of each page (``pdftotext -layout``)."""
    return _poppler("pdftotext", pdf, "-layout").split("\f")[:-1] or [""]


def pdf_text_lines(pdf: bytes) -> list[list[tuple[float, float, float, float, str]]]:
    """Per page, each text line's box (xmin, ymin, xmax, ymax) and text, from
    ``pdftotext -bbox-layout``."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(_poppler("pdftotext", pdf, "-bbox-layout"))
    pages = []
    for page in root.iter("{http://www.w3.org/1999/xhtml}page"):
        lines = []
        for line in page.iter("{http://www.w3.org/1999/xhtml}line"):
            words = [w.text or "" for w in line.iter("{http://www.w3.org/1999/xhtml}word")]
            box = tuple(float(line.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            lines.append((*box, " ".join(words)))
        pages.append(lines)
    return pages


def overlapping_lines(lines: Iterable[tuple[float, float, float, float, str]], *, share: float = 0.3):
    """Pairs of text lines drawn over each other: their boxes intersect
    across by more than a point and down by more than ``share`` of the lower
    box's height (the boxes of consecutive lines of one paragraph touch or
    overlap by a point or so: a font's ascent and descent exceed the pitch)."""
    lines = sorted(lines, key=lambda b: b[1])
    found = []
    for i, a in enumerate(lines):
        for b in lines[i + 1 :]:
            if b[1] >= a[3]:
                break
            down = min(a[3], b[3]) - max(a[1], b[1])
            across = min(a[2], b[2]) - max(a[0], b[0])
            if across > 1.0 and down > share * min(a[3] - a[1], b[3] - b[1]):
                found.append((a[4], b[4]))
    return found


def _poppler(tool: str, pdf: bytes, *args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="zhiben-pdf-") as tmp:
        path = Path(tmp) / "document.pdf"
        path.write_bytes(pdf)
        command = [tool, *args, str(path)] + (["-"] if tool == "pdftotext" else [])
        result = subprocess.run(command, capture_output=True, timeout=60, check=True)
        return result.stdout.decode("utf-8", errors="replace")
