"""SheetRows (python-calamine) gives the values openpyxl's data_only reading
gave: None for empty cells, int for whole numbers, datetime for dates; it
knows the 1904 date system; optional sheets; blank rows by the columns read."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import MAC_EPOCH

from zhiben.core.tabular import ImportFileError, SheetRows, parse_date
from zhiben.core.tabular.reader import WINDOWS_EPOCH, workbook_epoch


def book(rows, *, epoch=None, title="数据", number_formats=None) -> io.BytesIO:
    wb = Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(list(row))
    for ref, fmt in (number_formats or {}).items():
        ws[ref].number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out


HEADERS = ("名称", "日期", "数量", "序号")


@pytest.mark.parametrize("epoch", [None, MAC_EPOCH])
def test_values_as_openpyxl_reads_them(epoch):
    fh = book(
        [HEADERS, ["甲", dt.date(2025, 3, 1), 12, 45717], [None, dt.datetime(2025, 3, 1, 8, 30), 1.5, None]],
        epoch=epoch,
        number_formats={"D2": "General"},
    )
    with SheetRows(fh, headers=HEADERS) as rows:
        assert rows.epoch == (MAC_EPOCH if epoch else WINDOWS_EPOCH)
        found = list(rows)
        serial = found[0][1]["序号"]
        assert parse_date(serial, "序号", epoch=rows.epoch) == (
            dt.date(2025, 3, 1) if epoch is None else dt.date(2029, 3, 2)
        )
    assert found == [
        (2, {"名称": "甲", "日期": dt.datetime(2025, 3, 1), "数量": 12, "序号": 45717}),
        (3, {"名称": None, "日期": dt.datetime(2025, 3, 1, 8, 30), "数量": 1.5, "序号": None}),
    ]
    assert type(found[0][1]["数量"]) is int


def test_epoch_of_a_workbook():
    assert workbook_epoch(book([["a"]])) == WINDOWS_EPOCH
    assert workbook_epoch(book([["a"]], epoch=MAC_EPOCH)) == MAC_EPOCH


def test_blank_if_unread_ignores_values_in_other_columns():
    rows = [("名称", "其他"), ("甲", None), (None, "只有其他列")]
    with SheetRows(book(rows), headers=("名称",)) as read:
        assert [n for n, _ in read] == [2, 3]
    with SheetRows(book(rows), headers=("名称",), blank_if_unread=True) as read:
        assert [n for n, _ in read] == [2]


def test_optional_sheet_and_fallback_to_the_first():
    with SheetRows(book([("名称",), ("甲",)]), headers=("名称",), sheet_name="没有", optional=True) as read:
        assert not read.present and list(read) == []
    with SheetRows(book([("名称",), ("甲",)]), headers=("名称",), sheet_name="没有") as read:
        assert read.present and list(read) == [(2, {"名称": "甲"})]


def test_header_must_be_row_one():
    wb = Workbook()
    wb.active["A2"] = "名称"
    wb.active["A3"] = "甲"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ImportFileError, match="文件没有表头"):
        SheetRows(out, headers=("名称",))


def test_a_broken_sheet_is_not_xlsx():
    import zipfile

    data = book([("名称",), ("甲",)]).getvalue()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]
            dst.writestr(info, content)
    with pytest.raises(ImportFileError, match="不是有效的 Excel"), SheetRows(out, headers=("名称",)) as read:
        list(read)
