"""The template builder (dropdowns, help, option sheet), column helpers and
write_sheet, read back with openpyxl."""

from __future__ import annotations

import io

import openpyxl

from zhiben.core.tabular import (
    DATE,
    Column,
    HelpTable,
    RowError,
    build_template,
    header_of,
    headers,
    parse_cells,
    parse_text,
    widths,
    write_sheet,
)

COLUMNS = (
    Column(
        "名称", "name", 20, True, "不超过 10 字", parse=lambda v: parse_text(v, "名称", required=True, max_length=10)
    ),
    Column("日期", "day", 12, False, "日期", DATE),
    Column("代码", "code", 22, False, "18 位", as_text=True),
    Column("类型", "kind", 10, True, "从下拉列表中选择", "choice", strict=True),
    Column("标签", "tags", 10, False, "可多个", "choice", list_in_help=True),
    Column("备注", "note", 10),
)


def test_column_helpers():
    assert headers(COLUMNS) == ("名称", "日期", "代码", "类型", "标签", "备注")
    assert header_of(COLUMNS)["day"] == "日期"
    assert widths(COLUMNS)[:2] == (20, 12)
    assert [c.number_format for c in COLUMNS[:3]] == [None, "yyyy-mm-dd", "@"]
    assert [c.shows_options for c in COLUMNS[3:]] == [True, True, False]


def test_parse_cells_collects_every_problem():
    data, errors = {}, []
    parse_cells(COLUMNS, 7, {"名称": "甲" * 11}, data, errors)
    assert data == {"name": None}
    assert errors == [RowError(7, "名称", "名称不能超过 10 个字（现为 11 个字）")]


def test_template():
    data = build_template(
        [("数据", COLUMNS)],
        title="示例批量导入填写说明",
        notes=["1. 第一条", "2. 第二条"],
        options={"标签": ["甲", "乙"], "类型": ["A", "B", "C"], "没有此列": ["x"]},
        tables=[HelpTable("类型表", ("名称", "", "说明"), [("A", None, "第一类"), ("B", None, "")])],
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["数据", "填写说明", "选项"]
    sheet, help_sheet, options = wb["数据"], wb["填写说明"], wb["选项"]
    assert [c.value for c in sheet[1]] == list(headers(COLUMNS))
    assert sheet["A1"].font.color.rgb.endswith("B91C1C") and sheet.freeze_panes == "A2"
    assert options.sheet_state == "hidden"
    assert [c.value for c in options[1]] == ["标签", "类型"]  # the lists of columns only, in the given order
    validations = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    assert validations["D2"].type == "list" and validations["D2"].showErrorMessage
    assert validations["D2"].formula1 == "'选项'!$B$2:$B$4"
    assert validations["E2"].type == "list" and not validations["E2"].showErrorMessage
    assert validations["A2"].promptTitle == "名称" and validations["A2"].prompt == "不超过 10 字"
    assert "F2" not in validations  # no help, no list: no validation
    rows = [[c.value for c in row] for row in help_sheet.iter_rows()]
    assert rows[0][0] == "示例批量导入填写说明" and rows[1][0] == "1. 第一条"
    assert rows[4] == ["列名", "必填", "说明", "可选值"]
    assert rows[5][:3] == ["名称", "是", "不超过 10 字"]
    assert rows[8][0] == "类型" and rows[8][1] == "是" and rows[8][3] == "A、B、C"
    assert rows[9][3] == "甲、乙"  # listed although not strict
    assert rows[12][0] == "类型表" and rows[13][0] == "名称" and rows[13][2] == "说明" and rows[14][2] == "第一类"


def test_write_sheet():
    out = io.BytesIO()
    assert write_sheet(out, "台账", COLUMNS[:2], [["甲", None], ["乙", None]]) == 2
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["台账"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["名称", "日期"], ["甲", None], ["乙", None]]
    assert sheet.column_dimensions["A"].width == 20
