"""The 任务分解表 prints: converted to PDF by LibreOffice (as WPS users print
it), every page is A4 landscape, all six column headers (参与单位 included)
are on page 1 and repeated on every page, no text is drawn over other text,
and each row is as tall as its wrapped text."""

from __future__ import annotations

import io
import os
import re

import pytest
from openpyxl import load_workbook

from zhiben.core import printing
from zhiben.plans.tabular import HEADERS

pytestmark = pytest.mark.django_db

KEEP_PDF = os.environ.get("ZHIBEN_KEEP_PDF")  # a directory: the PDFs are written there to look at


@pytest.fixture
def soffice():
    """Skip without LibreOffice and poppler, unless ZHIBEN_REQUIRE_BROWSER=1 (CI): then fail."""
    missing = printing.missing_tools()
    if missing:
        if os.environ.get("ZHIBEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"找不到 {'、'.join(missing)}：请先 apt-get install -y libreoffice-calc-nogui poppler-utils")
        pytest.skip(f"not installed: {', '.join(missing)}")


def _pdf(content: bytes, name: str) -> bytes:
    pdf = printing.convert_to_pdf(content, ".xlsx")
    if KEEP_PDF:
        for data, suffix in ((content, ".xlsx"), (pdf, ".pdf")):
            with open(os.path.join(KEEP_PDF, name + suffix), "wb") as out:
                out.write(data)
    return pdf


@pytest.mark.parametrize("name", ["ecology", "commerce", "construction"])
def test_task_table_prints_on_a4_without_overlaps(soffice, users, import_plan, login, name):
    plan = import_plan(name)
    response = login(users["admin"]).get(f"/plans/{plan.pk}/export.xlsx")
    assert response.status_code == 200
    pdf = _pdf(response.content, f"plan-{name}")

    for number, lines in enumerate(printing.pdf_text_lines(pdf), start=1):
        assert printing.overlapping_lines(lines) == [], f"text drawn over text on page {number}"
    info = printing.pdf_info(pdf)
    width, height = (float(v) for v in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (round(width), round(height)) == (842, 595), info["Page size"]  # A4 landscape
    rows = plan.tasks.count()
    assert 1 <= int(info["Pages"]) <= max(2, rows)  # one page wide: no column sheets of their own

    pages = printing.pdf_pages_text(pdf)
    for number, text in enumerate(pages, start=1):
        compact = re.sub(r"\s+", "", text)
        for header in HEADERS:  # every column, 参与单位 too, on each page (repeated header row)
            assert header in compact, f"page {number} lacks {header}"
    assert "第1页，共" in re.sub(r"\s+", "", pages[0])


def test_task_table_rows_are_as_tall_as_their_wrapped_text(users, import_plan, login):
    plan = import_plan("ecology")
    content = login(users["admin"]).get(f"/plans/{plan.pk}/export.xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    widths = {}
    for dimension in sheet.column_dimensions.values():  # a dimension may cover several columns
        for index in range(dimension.min, dimension.max + 1):
            widths["ABCDEF"[index - 1]] = dimension.width
    assert sum(widths.values()) > printing.PORTRAIT_UNITS  # so landscape
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)  # 1 is the default
    assert sheet.print_title_rows == "$2:$2"

    spans = {(r.min_row, r.min_col): r.max_row for r in sheet.merged_cells.ranges}
    checked = 0
    for row in range(3, sheet.max_row + 1):
        for col in "ABCDEF":
            cell = sheet[f"{col}{row}"]
            if cell.value is None:
                continue
            assert cell.border.left.style == "thin" and cell.border.bottom.style == "thin"
            last = spans.get((row, cell.column), row)
            height = sum(sheet.row_dimensions[r].height or 0 for r in range(row, last + 1))
            # independent of the code under test: CJK glyph = 2 units, 1 unit padding, 1.15 em a line (LibreOffice)
            units = sum(2 if ord(c) > 0x2E7F else 1 for c in str(cell.value))
            lines = -(-units // int(widths[col] - 1))
            assert height >= lines * 11 * 1.15, f"{col}{row}: {height} pt for {lines} lines of {cell.value!r}"
            checked += 1
    assert checked > 30
