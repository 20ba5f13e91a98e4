"""The registry importers' sheets (core.tabular.SheetRows, as the importers
open them: a row counts when a column read has a value) read what openpyxl's
data_only reading gives (values, dates, row numbers, gaps), on workbooks from
openpyxl (shared strings) and XlsxWriter (inline strings, rich text), and on
unusual XML (a comment in the sheet)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
import xlsxwriter
from openpyxl import Workbook, load_workbook

from zhiben.core.tabular import ImportFileError, is_blank, map_header
from zhiben.registry.tabular.importers import _sheet

HEADERS = ("名称", "日期", "数量", "是否", "备注")


def openpyxl_book() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append([*HEADERS, "多余列"])
    ws.append(["A & B <公司>", dt.date(2025, 3, 1), 12, True, "  有空格  "])
    ws.append([None, None, None, None, None])  # blank: skipped
    ws.append(["第二", "2025/3/2", 1.5, False, None, "x"])
    ws.cell(6, 1, "隔行")
    ws.cell(6, 5, 'quote "x"')
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xlsxwriter_book(constant_memory: bool = True) -> bytes:
    """constant_memory: inline strings; otherwise a shared strings table (as Excel and WPS write)."""
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": constant_memory, "in_memory": not constant_memory})
    ws = wb.add_worksheet("数据")
    bold = wb.add_format({"bold": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for col, header in enumerate(HEADERS):
        ws.write_string(0, col, header)
    ws.write_rich_string(1, 0, "富", bold, "文本", "<&>")
    ws.write_datetime(1, 1, dt.datetime(2025, 3, 1), date_fmt)
    ws.write_number(1, 2, 7)
    ws.write_boolean(1, 3, True)
    ws.write_string(3, 0, "跳行")
    ws.write_string(3, 4, "末列")
    wb.close()
    return out.getvalue()


def RegistrySheet(fh, *, headers, required_headers=(), sheet_name=None, optional=False, limit=None):
    """The reader as the registry importers open it."""
    rows = _sheet(fh, headers, required_headers, sheet_name, optional=optional)
    if limit is not None:
        rows.limit = limit
    return rows


class SheetRows:
    """The reference: openpyxl (read_only, data_only), the header mapped as
    the importers map it."""

    def __init__(self, fh, *, headers, required_headers=(), sheet_name=None):
        self.workbook = load_workbook(fh, read_only=True, data_only=True)
        self.sheet = self.workbook[sheet_name]
        self.headers, self.required = headers, required_headers

    def __iter__(self):
        rows = self.sheet.iter_rows(values_only=True)
        index = map_header(next(rows), self.headers, self.required)
        for number, row in enumerate(rows, start=2):
            values = {name: (row[pos] if pos < len(row) else None) for name, pos in index.items()}
            if not all(is_blank(v) for v in values.values()):
                yield number, values

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.workbook.close()


def rows_of(reader_class, data: bytes) -> list:
    with reader_class(io.BytesIO(data), headers=HEADERS, required_headers=("名称",), sheet_name="数据") as rows:
        return list(rows)


def with_comment(data: bytes) -> bytes:
    """The same workbook with a comment in the sheet XML."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = content.replace(b"<sheetData>", b"<!-- note --><sheetData>", 1)
            dst.writestr(info, content)
    return out.getvalue()


def shared_strings_book() -> bytes:
    return xlsxwriter_book(constant_memory=False)


@pytest.mark.parametrize("build", [openpyxl_book, xlsxwriter_book, shared_strings_book])
@pytest.mark.parametrize("mangle", [lambda d: d, with_comment], ids=["plain", "comment"])
def test_same_rows_as_openpyxl(build, mangle):
    data = mangle(build())
    expected = rows_of(SheetRows, data)
    assert rows_of(RegistrySheet, data) == expected
    assert len(expected) >= 2


def test_both_string_kinds_are_covered():
    def sheet_xml(data: bytes) -> bytes:
        return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")

    assert b't="inlineStr"' in sheet_xml(xlsxwriter_book())
    assert b't="s"' in sheet_xml(shared_strings_book())


def test_values():
    rows = dict(rows_of(RegistrySheet, openpyxl_book()))
    assert rows[2] == {
        "名称": "A & B <公司>",
        "日期": dt.datetime(2025, 3, 1),
        "数量": 12,
        "是否": True,
        "备注": "  有空格  ",
    }
    assert rows[6]["备注"] == 'quote "x"' and rows[6]["日期"] is None
    assert 3 not in rows  # blank row skipped
    rich = dict(rows_of(RegistrySheet, xlsxwriter_book()))
    assert rich[2]["名称"] == "富文本<&>" and rich[4] == {
        "名称": "跳行",
        "日期": None,
        "数量": None,
        "是否": None,
        "备注": "末列",
    }


def test_missing_header_and_row_limit():
    with pytest.raises(ImportFileError, match="表头缺少以下列：名称"):
        rows_of_headers(b"")
    with (
        RegistrySheet(io.BytesIO(openpyxl_book()), headers=HEADERS, sheet_name="数据", limit=2) as rows,
        pytest.raises(ImportFileError, match="数据超过 2 行"),
    ):
        list(rows)


def rows_of_headers(_):
    wb = Workbook()
    wb.active.title = "数据"
    wb.active.append(["别的列"])
    out = io.BytesIO()
    wb.save(out)
    return rows_of(RegistrySheet, out.getvalue())


def test_optional_sheet_absent():
    with RegistrySheet(io.BytesIO(openpyxl_book()), headers=HEADERS, sheet_name="没有", optional=True) as rows:
        assert not rows.present and list(rows) == []
