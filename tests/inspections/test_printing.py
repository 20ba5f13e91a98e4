"""The inspection report (检查记录, .docx) prints: A4 with margins, a CJK
font, bordered tables of fixed widths that fit the page, the items table's
header row repeated on every page; converted to PDF by LibreOffice it is A4
portrait, its text stays inside the page and no text is drawn over text."""

from __future__ import annotations

import datetime as dt
import io
import os
import re

import pytest
from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.oxml.ns import qn
from docx.shared import Cm

from zhiben.core import printing
from zhiben.inspections import services
from zhiben.inspections.models import Inspection

DAY = dt.date(2026, 3, 10)
KEEP_PDF = os.environ.get("ZHIBEN_KEEP_PDF")  # a directory: the files are written there to look at
LONG_NOTE = "地下一层仅一个安全出口，且疏散通道堆放杂物、常闭式防火门处于常开状态，应急照明和疏散指示标志损坏未修复" * 2


@pytest.fixture
def soffice():
    """Skip without LibreOffice and poppler, unless ZHIBEN_REQUIRE_BROWSER=1 (CI): then fail."""
    missing = printing.missing_tools()
    if missing:
        if os.environ.get("ZHIBEN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"找不到 {'、'.join(missing)}：请先 apt-get install -y libreoffice-writer-nogui poppler-utils")
        pytest.skip(f"not installed: {', '.join(missing)}")


@pytest.fixture
def report(make_campaign, sites, users, reference, answers_for, login):
    """The .docx of a finished inspection over the whole GB 35181 checklist,
    two items failed with long notes."""
    gb = reference["gb35181-2017"].current_version
    inspection = services.inspection_create(
        actor=users["officer"],
        data={"campaign": make_campaign(), "site": sites["mall"], "inspected_on": DAY},
        answers=answers_for(gb, fail={"6.5": LONG_NOTE, "6.6": "未设自动喷水灭火系统"}),
        finish=True,
    )
    response = login(users["officer"]).get(f"/inspections/{inspection.pk}/report.docx")
    assert response.status_code == 200
    return response.content


def test_report_page_setup_tables_and_font(report):
    document = Document(io.BytesIO(report))
    section = document.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)
    assert min(section.left_margin, section.right_margin, section.top_margin, section.bottom_margin) >= Cm(2)
    text_width = section.page_width - section.left_margin - section.right_margin

    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) in ("宋体", "仿宋", "仿宋_GB2312")
    for style in ("Heading 1", "Heading 2", "Title"):
        fonts = document.styles[style].element.rPr.rFonts
        assert fonts is not None and fonts.get(qn("w:eastAsia")), style

    for table in document.tables:
        layout = table._tbl.tblPr.find(qn("w:tblLayout"))
        assert layout is not None and layout.get(qn("w:type")) == "fixed"
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        assert borders is not None
        for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
            assert borders.find(qn(f"w:{edge}")).get(qn("w:val")) == "single", edge
        grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) * 635 <= text_width  # twips to EMU: the table fits between the margins
        for row in table.rows:
            assert row.height_rule != WD_ROW_HEIGHT_RULE.EXACTLY  # a fixed height would clip wrapped text

    items = document.tables[1]
    assert [c.text for c in items.rows[0].cells] == ["编号", "检查内容", "结果", "情况说明", "隐患编号"]
    header = items.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header is not None  # repeated at the top of every page


def test_report_prints_on_a4_without_overlaps(soffice, report):
    pdf = printing.convert_to_pdf(report, ".docx")
    if KEEP_PDF:
        for data, suffix in ((report, ".docx"), (pdf, ".pdf")):
            with open(os.path.join(KEEP_PDF, "inspection" + suffix), "wb") as out:
                out.write(data)
    info = printing.pdf_info(pdf)
    width, height = (float(v) for v in re.findall(r"[\d.]+", info["Page size"])[:2])
    assert (round(width), round(height)) == (595, 842), info["Page size"]  # A4 portrait
    pages = int(info["Pages"])
    assert 2 <= pages <= 8
    texts = printing.pdf_pages_text(pdf)
    compact = [re.sub(r"\s+", "", t) for t in texts]
    assert "安全生产检查记录" in compact[0] and "北外滩商业广场" in compact[0]
    codes = {item.code for item in Inspection.objects.get().checklist_version.items.all()}
    with_items = [
        number
        for number, text in enumerate(texts, start=1)
        if any(line.split()[:1] and line.split()[0] in codes for line in text.splitlines())
    ]
    assert len(with_items) >= 2  # the items table runs over a page break …
    for number in with_items:  # … and each page it is on starts with its header row
        assert "检查内容" in compact[number - 1] and "情况说明" in compact[number - 1], f"page {number}: no header"
    assert re.sub(r"\s+", "", LONG_NOTE)[:40] in "".join(compact)
    for number, lines in enumerate(printing.pdf_text_lines(pdf), start=1):
        assert printing.overlapping_lines(lines) == [], f"text drawn over text on page {number}"
        for xmin, _ymin, xmax, _ymax, text in lines:
            assert xmin >= 28 and xmax <= width - 28, f"page {number}: {text!r} runs off the page"
