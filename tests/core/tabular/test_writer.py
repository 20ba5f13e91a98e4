"""The streaming one-sheet .xlsx writer, read back by openpyxl and by the XML parser."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest

from zhiben.core.tabular.writer import MAX_CELL_CHARS, SheetWriter, column_letter


def write(rows, headers=("编号", "名称", "日期", "时间", "数量"), name="隐患台账", widths=(12, 30, 12, 16, 8)) -> bytes:
    buffer = io.BytesIO()
    with SheetWriter(buffer, name, headers, widths) as sheet:
        sheet.write_rows(rows)
    return buffer.getvalue()


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_values_round_trip_through_openpyxl():
    rows = [
        ("YH-2026-000001", "A&B <公司> \"引号\" '撇'", dt.date(2026, 3, 1), dt.datetime(2026, 3, 1, 9, 30), 3),
        ("YH-2026-000002", "  前后空格  ", None, None, 2.5),
        ("YH-2026-000003", "", dt.date(1999, 12, 31), dt.datetime(2026, 11, 29, 23, 59), None),
        ("YH-2026-000004", "控制\x01字符\x1f与换行\n第二行", None, None, 0),
    ]
    book = openpyxl.load_workbook(io.BytesIO(write(rows)))
    sheet = book["隐患台账"]
    values = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    assert values[0] == ("编号", "名称", "日期", "时间", "数量")
    assert values[1] == (
        "YH-2026-000001",
        "A&B <公司> \"引号\" '撇'",
        dt.datetime(2026, 3, 1),
        dt.datetime(2026, 3, 1, 9, 30),
        3,
    )
    assert values[2] == ("YH-2026-000002", "  前后空格  ", None, None, 2.5)
    assert values[3] == ("YH-2026-000003", None, dt.datetime(1999, 12, 31), dt.datetime(2026, 11, 29, 23, 59), None)
    # XML 1.0 cannot hold control characters: Excel's own _xHHHH_ escape (as XlsxWriter writes it).
    assert values[4][1] == "控制_x0001_字符_x001F_与换行\n第二行"
    assert sheet["C2"].number_format == "yyyy-mm-dd" and sheet["D2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb.endswith("FDECEC")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:E5"
    assert sheet.column_dimensions["B"].width == 30


def test_every_part_is_well_formed_xml_and_long_text_is_cut_to_excels_limit():
    data = write([("x" * (MAX_CELL_CHARS + 10), "它's", None, None, None)], name="O'Brien 表")
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        for name in package.namelist():
            ElementTree.fromstring(package.read(name))
        workbook = package.read("xl/workbook.xml").decode()
    assert "'O''Brien 表'!$A$1:$E$2" in workbook
    sheet = openpyxl.load_workbook(io.BytesIO(data))["O'Brien 表"]
    assert len(sheet["A2"].value) == MAX_CELL_CHARS


def test_a_header_only_sheet():
    sheet = openpyxl.load_workbook(io.BytesIO(write([])))["隐患台账"]
    assert sheet.max_row == 1 and sheet["E1"].value == "数量"


def test_a_failure_inside_the_block_does_not_hide_the_error():
    def rows():
        yield ("a",)
        raise ValueError("数据库连接中断")

    with pytest.raises(ValueError, match="数据库连接中断"), SheetWriter(io.BytesIO(), "表", ["a"]) as sheet:
        sheet.write_rows(rows())
