"""core.printing: the wrapped-text measurements, row heights over merged
rows, page breaks that keep blocks together, the page setup of workbooks
and Word documents, and the PDF checks the document tests rely on.

The documents themselves are converted by LibreOffice in
tests/plans/test_printing.py (任务分解表) and tests/inspections/test_printing.py
(检查记录); here one plain workbook laid out with these helpers goes through
LibreOffice too."""

from __future__ import annotations

import io
import itertools
import math
import os
import re

import openpyxl
import pytest
import xlsxwriter
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Length
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiben.core import printing

CJK = "安全生产治本攻坚三年行动隐患排查整改责任单位"


@pytest.fixture
def soffice():
    """Skip without LibreOffice and poppler, unless ZHIBEN_REQUIRE_BROWSER=1 (CI): then fail."""
    missing = printing.missing_tools()
    if missing:
        if os.environ.get("ZHIBEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"找不到 {'、'.join(missing)}：请先 apt-get install -y libreoffice-calc-nogui poppler-utils")
        pytest.skip(f"not installed: {', '.join(missing)}")


def test_cjk_glyph_is_two_units_latin_one():
    assert printing.char_units("安", font_size=10.5) == 2
    assert printing.char_units("，", font_size=10.5) == 2
    assert printing.char_units("a", font_size=10.5) == 1
    assert printing.char_units("安", font_size=21) == 4
    assert printing.text_units("2024年", font_size=10.5) == 6


def test_wrapped_lines():
    at = {"font_size": 10.5}
    assert printing.wrapped_lines("", 10, **at) == 1
    assert printing.wrapped_lines("安" * 14, 29, **at) == 1  # 28 units in 29 - 1 padding
    assert printing.wrapped_lines("安" * 15, 29, **at) == 2
    assert printing.wrapped_lines("安" * 29, 29, **at) == 3
    assert printing.wrapped_lines("安\n\n安", 29, **at) == 3  # explicit line breaks kept
    # 禁则: "。" may not begin a line, so it takes the last character with it
    assert printing.wrapped_lines("安" * 14 + "。", 29, **at) == 2
    # Latin words wrap whole; a word longer than the line breaks anywhere
    assert printing.wrapped_lines("alpha beta", 8, **at) == 2
    assert printing.wrapped_lines("x" * 20, 11, **at) == 2


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=CJK + "，。（）abc 123\n", max_size=200),
    width=st.floats(min_value=4, max_value=80),
)
def test_wrapped_lines_bounds(text, width):
    lines = printing.wrapped_lines(text, width)
    capacity = width - printing.CELL_PADDING_UNITS
    paragraphs = text.split("\n")
    # never fewer lines than the text's visible width needs (spaces at a line's end vanish), nor than its paragraphs
    visible = printing.text_units(text.replace("\n", "").replace(" ", ""))
    assert lines >= max(len(paragraphs), math.ceil(visible / capacity - 1e-9))
    # a wider column never needs more lines
    assert printing.wrapped_lines(text, width + 5) <= lines


def test_row_heights_share_a_merged_cell_over_its_rows():
    heights = printing.RowHeights(font_size=11)
    heights.cell(3, "短", 20)
    heights.cell(4, "安" * 40, 20)  # 40 CJK in 19 units: 5 lines
    heights.cell(5, "短", 20)
    long_title = "安" * 200
    heights.span(3, 5, long_title, 20)
    resolved = heights.resolve()
    assert resolved[4] >= printing.row_height(5, font_size=11)
    assert sum(resolved[r] for r in (3, 4, 5)) >= printing.text_height(long_title, 20, font_size=11)
    assert resolved[3] == resolved[5] < resolved[4]  # the missing height shared evenly

    short = printing.RowHeights()
    short.cell(1, "安" * 40, 20)
    short.span(1, 2, "短", 20)
    assert short.resolve()[1] == printing.text_height("安" * 40, 20)  # already tall enough: unchanged


def test_page_breaks_keep_blocks_together():
    widths = [6, 22, 60, 14, 22, 22]
    heights = {0: 30, 1: 20} | {row: 60 for row in range(2, 40)}
    blocks = [(row, row + 2) for row in range(2, 38, 3)] + [(38, 39)]
    breaks = printing.page_breaks(heights, blocks, widths=widths, header_rows=(1, 1))
    assert breaks and all(any(b == first for first, _ in blocks) for b in breaks)
    budget = (595.3 - 72 * 1.3) / min(1, (842 - 72) / sum(printing.column_points(w) for w in widths))
    starts = [0, *breaks, 40]
    for start, end in itertools.pairwise(starts):
        page = sum(heights[r] for r in range(start, end)) + (heights[1] if start else 0)
        assert page <= budget
    # a block taller than a page gets a page of its own, then the next one starts a new page
    assert printing.page_breaks({2: 2000, 3: 20}, [(2, 2), (3, 3)], widths=widths, header_rows=(1, 1)) == [2, 3]


def _workbook(widths, rows) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("表")
    cell = book.add_format(printing.border_format())
    heights = printing.RowHeights()
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
        sheet.write(0, col, f"第{col + 1}列", cell)
        heights.cell(0, f"第{col + 1}列", width)
    blocks = []
    for number, texts in enumerate(rows, start=1):
        for col, text in enumerate(texts):
            sheet.write(number, col, text, cell)
            heights.cell(number, text, widths[col])
        blocks.append((number, number))
    heights.apply(sheet)
    breaks = printing.page_breaks(heights.resolve(), blocks, widths=widths, header_rows=(0, 0))
    printing.setup_sheet_for_print(sheet, widths=widths, header_rows=(0, 0), breaks=breaks)
    book.close()
    return buffer.getvalue()


def test_sheet_setup_a4_orientation_fit_and_titles():
    wide = openpyxl.load_workbook(io.BytesIO(_workbook([30, 60, 40], [("甲", "乙", "丙")] * 3))).active
    assert wide.page_setup.paperSize == printing.A4_PAPER and wide.page_setup.orientation == "landscape"
    assert wide.sheet_properties.pageSetUpPr.fitToPage and wide.page_setup.fitToHeight == 0
    assert wide.print_title_rows == "$1:$1"
    assert "第 &P 页" in wide.oddFooter.center.text
    narrow = openpyxl.load_workbook(io.BytesIO(_workbook([10, 20], [("甲", "乙")]))).active
    assert narrow.page_setup.orientation == "portrait"


def test_plain_workbook_prints_without_overlaps(soffice):
    rows = [(str(n), CJK * (n % 4 + 1), f"{n}号 " + CJK[: n % 9]) for n in range(1, 60)]
    pdf = printing.convert_to_pdf(_workbook([6, 40, 16], rows), ".xlsx")
    info = printing.pdf_info(pdf)
    assert "A4" in info["Page size"] and 2 <= int(info["Pages"]) <= 8
    for lines in printing.pdf_text_lines(pdf):
        assert printing.overlapping_lines(lines) == []
    text = re.sub(r"\s+", "", "".join(printing.pdf_pages_text(pdf)))
    for number, long_text, _ in rows:  # nothing lost, every cell printed whole
        assert f"{number}号" in text
        assert long_text[:20] in text


def test_docx_setup_and_table():
    document = Document()
    printing.setup_document_for_print(document, margins_cm=(2.5, 2, 2.5, 2))
    assert printing.text_width_cm(document) == pytest.approx(17.0, abs=0.01)
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert document.styles["Heading 1"].element.rPr.rFonts.get(qn("w:asciiTheme")) is None
    table = document.add_table(rows=3, cols=3)
    table.rows[1].cells[0].merge(table.rows[1].cells[2])
    printing.setup_table_for_print(table, (3, 10, 4), header_rows=1)
    saved = io.BytesIO()
    document.save(saved)
    tbl = Document(io.BytesIO(saved.getvalue())).tables[0]._tbl
    children = [child.tag.split("}")[1] for child in tbl.tblPr]
    assert children.index("tblW") < children.index("tblBorders") < children.index("tblLayout")  # schema order
    assert [int(c.get(qn("w:w"))) for c in tbl.tblGrid.findall(qn("w:gridCol"))] == [1701, 5669, 2268]
    merged_row = tbl.tr_lst[1]
    assert [Length(tc.width).cm for tc in merged_row.tc_lst] == [pytest.approx(17, abs=0.01)]
    assert tbl.tr_lst[0].trPr.find(qn("w:tblHeader")) is not None
    assert tbl.tr_lst[2].trPr is None or tbl.tr_lst[2].trPr.find(qn("w:tblHeader")) is None


def test_overlapping_lines():
    line = lambda x, y, text: (x, y, x + 100, y + 12, text)  # noqa: E731
    paragraph = [line(0, 0, "一"), line(0, 11, "二"), line(0, 22, "三")]  # boxes touch by a point: fine
    assert printing.overlapping_lines(paragraph) == []
    assert printing.overlapping_lines([line(0, 0, "一"), line(200, 0, "旁")]) == []
    assert printing.overlapping_lines([line(0, 0, "一"), line(50, 6, "压")]) == [("一", "压")]


def test_conversion_without_soffice_says_so(monkeypatch):
    monkeypatch.setenv("ZHIBEN_SOFFICE", "/nonexistent/soffice")
    assert printing.soffice_path() is None
    with pytest.raises(printing.ConversionError, match="找不到 LibreOffice"):
        printing.convert_to_pdf(b"", ".xlsx")


def test_a_space_at_the_end_of_a_line_takes_no_room():
    # found by Hypothesis: "。 " in a narrow cell is one line, the space vanishing at the line's end
    assert printing.wrapped_lines("。 ", 4.0) == 1
