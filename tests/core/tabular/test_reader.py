"""Reading spreadsheets (core.tabular.reader and cells): upload checks, header mapping, blank rows, cells."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from zhiben.core.errors import ValidationFailed
from zhiben.core.tabular import reader
from zhiben.core.tabular.cells import CellError, ChoiceParser, Problems, RowError, parse_date, parse_text
from zhiben.core.tabular.reader import NOT_XLSX, ImportFileError, SheetRows, check_upload
from zhiben.hazards.choices import HazardLevel


def book(*rows, title="Sheet", extra_sheets=()) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for name in extra_sheets:
        wb.create_sheet(name).append(["其他"])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


# --- check_upload --------------------------------------------------------------------------------


def refusal(data: bytes) -> str:
    with pytest.raises(ValidationFailed) as info:
        check_upload(SimpleUploadedFile("x.xlsx", data))
    assert info.value.details == {"file": info.value.message}
    return info.value.message


def test_check_upload_accepts_a_workbook_and_rewinds():
    upload = SimpleUploadedFile("x.xlsx", book(["名称"], ["甲"]).getvalue())
    check_upload(upload)
    assert upload.tell() == 0


def test_check_upload_refuses_by_content_not_name(settings):
    assert refusal(b"") == "文件为空"
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"0" * 50) == NOT_XLSX
    assert refusal("名称\n甲\n".encode()) == NOT_XLSX
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 50).startswith(NOT_XLSX + "；旧版 .xls")
    assert refusal(b"PK\x03\x04 truncated zip") == NOT_XLSX
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert refusal(other_zip.getvalue()) == NOT_XLSX
    settings.ZHIBEN_IMPORT_MAX_BYTES = 100
    assert "导入文件不能超过" in refusal(book(["名称"]).getvalue())


def test_check_upload_refuses_what_unpacks_too_big(monkeypatch):
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 1000)
    assert refusal(book(["名称"], ["甲"]).getvalue()) == "文件解压后过大，请拆分后分批导入"
    monkeypatch.setattr(reader, "MAX_UNPACKED_BYTES", 10**9)
    monkeypatch.setattr(reader, "MAX_SHARED_STRINGS_BYTES", 10)
    crafted = io.BytesIO()
    with zipfile.ZipFile(crafted, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>甲</t></si>" * 100 + "</sst>")
    assert refusal(crafted.getvalue()) == "文件解压后过大，请拆分后分批导入"


# --- SheetRows -----------------------------------------------------------------------------------


def test_rows_are_numbered_as_in_excel_and_blank_rows_skipped():
    fh = book(
        ["备注", " 名称* ", "数量（必填）"],
        ["x", "甲", 1],
        [None, None, None],
        ["", "  ", None],
        [None, "乙", 2],
        [None, None, 3],
    )
    with SheetRows(fh, headers=("名称", "数量"), required_headers=("名称",)) as rows:
        assert rows.index == {"名称": 1, "数量": 2}
        assert rows.estimate == 5
        assert list(rows) == [
            (2, {"名称": "甲", "数量": 1}),
            (5, {"名称": "乙", "数量": 2}),
            (6, {"名称": None, "数量": 3}),
        ]


def test_short_rows_are_padded_and_the_named_sheet_is_read():
    fh = book(["无关"], title="说明", extra_sheets=())
    wb = Workbook()
    wb.active.title = "说明"
    data = wb.create_sheet("数据")
    data.append(["名称", "数量"])
    data.append(["甲"])
    out = io.BytesIO()
    wb.save(out)
    with SheetRows(out, headers=("名称", "数量"), sheet_name="数据") as rows:
        assert list(rows) == [(2, {"名称": "甲", "数量": None})]
    with SheetRows(fh, headers=("无关",), sheet_name="不存在") as rows:  # falls back to the first sheet
        assert list(rows) == []


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "文件没有表头（第 1 行应为列名），请使用导入模板"),
        ([["名称", "名称"]], "表头中“名称”列出现了两次"),
        ([["数量"]], "表头缺少以下列：名称。请下载并使用导入模板"),
    ],
)
def test_header_problems(rows, message):
    with pytest.raises(ImportFileError) as info:
        SheetRows(book(*rows), headers=("名称", "数量"), required_headers=("名称",))
    assert info.value.message == message


def test_row_limit_counts_data_rows_only():
    fh = book(["名称"], ["甲"], [None], ["乙"], ["丙"])
    with SheetRows(fh, headers=("名称",), limit=3) as rows:
        assert len(list(rows)) == 3
    fh = book(["名称"], ["甲"], ["乙"], ["丙"], ["丁"])
    with SheetRows(fh, headers=("名称",), limit=3) as rows, pytest.raises(ImportFileError) as info:
        list(rows)
    assert info.value.message == "数据超过 3 行，请拆分后分批导入"


def test_not_a_workbook_is_an_import_file_error():
    with pytest.raises(ImportFileError) as info:
        SheetRows(io.BytesIO(b"PK\x03\x04 nonsense"), headers=("名称",))
    assert info.value.message == NOT_XLSX


# --- Cells ---------------------------------------------------------------------------------------


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_every_written_form_of_a_date_parses_back(day):
    forms = [
        day,
        dt.datetime.combine(day, dt.time()),
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month:02d}.{day.day:02d}",
        f"{day:%Y%m%d}",
        int(f"{day:%Y%m%d}"),
        f"{day.isoformat()} 00:00:00",
    ]
    for form in forms:
        assert parse_date(form, "发现日期") == day, form


def test_excel_serial_numbers_are_dates():
    assert parse_date(45717, "发现日期") == dt.date(2025, 3, 1)
    assert parse_date(45717.0, "发现日期") == dt.date(2025, 3, 1)


@pytest.mark.parametrize("value", ["2025-02-30", "3/1/2025", "明天", "2025-3", True, -5, 99999999])
def test_bad_dates_name_the_column(value):
    with pytest.raises(CellError) as info:
        parse_date(value, "整改期限")
    assert info.value.message.startswith("整改期限“") and "不是有效日期" in info.value.message


def test_blank_dates():
    assert parse_date(None, "整改期限") is None and parse_date("  ", "整改期限") is None
    with pytest.raises(CellError, match="请填写发现日期"):
        parse_date("", "发现日期", required=True)


def test_text_cells():
    assert parse_text(13800000000.0, "电话") == "13800000000"
    assert parse_text(12.5, "数量") == "12.5"
    assert parse_text("  甲 ", "名称") == "甲"
    assert parse_text(None, "名称") == ""
    assert parse_text(dt.datetime(2025, 3, 1), "备注") == "2025-03-01"
    with pytest.raises(CellError, match="请填写名称"):
        parse_text(" ", "名称", required=True)
    with pytest.raises(CellError, match="名称不能超过 2 个字（现为 3 个字）"):
        parse_text("甲乙丙", "名称", max_length=2)


def test_choices_by_chinese_label_or_value_with_a_default():
    level = ChoiceParser(HazardLevel, "隐患等级", default=HazardLevel.GENERAL)
    assert level("重大隐患") == "major" and level("major") == "major" and level(None) == "general"
    with pytest.raises(CellError) as info:
        level("严重")
    assert info.value.message == "隐患等级“严重”无效，可选：一般隐患、重大隐患"
    with pytest.raises(CellError, match="请填写隐患等级"):
        ChoiceParser(HazardLevel, "隐患等级")("")


def test_problems_keep_a_bounded_list_but_count_all():
    problems = Problems(cap=2)
    problems.add_all(RowError(row, "名称", "错") for row in (2, 2, 3, 4))
    assert len(problems) == 2 and problems.total == 4 and problems.rows == {2, 3, 4}
