"""RowCells (one row's cells for an importer), parse_integer, by_label and
add_field_errors: a bad cell is named once, in its column, and reads as blank."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import models

from zhiben.core.tabular import (
    CellError,
    RowCells,
    RowError,
    add_field_errors,
    by_label,
    parse_integer,
)


class Colour(models.TextChoices):
    RED = "red", "红色（警示）"
    BLUE = "blue", "蓝色"


def row(**raw):
    errors: list[RowError] = []
    return RowCells(7, raw, errors), errors


def test_text_reads_and_names_a_bad_cell():
    cells, errors = row(名称="  泵房 ", 备注="x" * 11)
    assert cells.text("名称", 10, required=True) == "泵房"
    assert cells.text("备注", 10) == ""
    assert cells.text("位置", 10) == ""
    assert cells.text("编号", 10, required=True) == ""
    assert errors == [
        RowError(7, "备注", "备注不能超过 10 个字（现为 11 个字）"),
        RowError(7, "编号", "请填写编号"),
    ]


def test_date_uses_the_workbook_epoch():
    cells, errors = row(日期="2025年3月1日", 序号=45000, 错=" 明天 ")
    assert cells.date("日期") == dt.date(2025, 3, 1)
    assert cells.date("序号") == dt.date(2023, 3, 15)
    assert cells.date("空") is None
    assert cells.date("错") is None
    assert cells.date("必填", required=True) is None
    assert [(e.column, e.message[:6]) for e in errors] == [("错", "错“明天”不"), ("必填", "请填写必填")]
    epoch_1904 = RowCells(2, {"序号": 45000}, [], epoch=dt.datetime(1904, 1, 1))
    assert epoch_1904.date("序号") == dt.date(2023, 3, 15) + dt.timedelta(days=1462)


def test_integer_digits_only():
    assert parse_integer(12.0, "年度") == 12 and parse_integer("  ", "年度") is None
    with pytest.raises(CellError, match="年度须为整数"):
        parse_integer("-3", "年度")
    cells, errors = row(年度="2024", 起数="两起", 空=None)
    assert cells.integer("年度", required=True) == 2024
    assert cells.integer("起数") is None
    assert cells.integer("空") is None
    assert cells.integer("必填", required=True) is None
    assert errors == [RowError(7, "起数", "起数须为整数"), RowError(7, "必填", "请填写必填")]


def test_choice_by_label_value_or_short_label():
    mapping = by_label(Colour, short=True)
    assert mapping == {"red": "red", "红色（警示）": "red", "红色": "red", "blue": "blue", "蓝色": "blue"}
    assert "红色" not in by_label(Colour)
    cells, errors = row(a="红色", b="blue", c="绿色", d=None, e="紫色", f="x" * 20)
    assert cells.choice("a", mapping, max_length=10) == "red"
    assert cells.choice("b", mapping, max_length=10) == "blue"
    assert cells.choice("c", mapping, max_length=10, invalid="颜色“{text}”不存在") == "绿色"
    assert cells.choice("d", mapping, max_length=10, blank="蓝色") == "blue"
    assert cells.choice("e", mapping, max_length=10, unknown="red") == "red"  # no message: the service's rule
    assert cells.choice("f", mapping, max_length=10, blank="蓝色", invalid="不会用到") == "blue"
    assert cells.choice("g", mapping, max_length=10, required=True, invalid="不会用到") == ""
    assert errors == [
        RowError(7, "c", "颜色“绿色”不存在"),
        RowError(7, "f", "f不能超过 10 个字（现为 20 个字）"),
        RowError(7, "g", "请填写g"),
    ]


def test_get_and_fail():
    def even(value):
        if value % 2:
            raise CellError("须为双数")
        return value

    cells, errors = row(a=4, b=3)
    assert cells.get("a", even) == 4
    assert cells.get("b", even, default=0) == 0
    cells.fail("a", "与第 2 行重复")
    assert errors == [RowError(7, "b", "须为双数"), RowError(7, "a", "与第 2 行重复")]


def test_field_errors_keep_a_bad_cell_first():
    errors = [RowError(3, "名称", "名称不能超过 10 个字（现为 11 个字）")]
    problems = {"name": "请填写名称", "year": "年度不对", "site": "点段不在册", "other": "另一个"}
    add_field_errors(errors, 3, problems, {"name": "名称", "year": "年度"}, "场所码")
    assert errors == [
        RowError(3, "名称", "名称不能超过 10 个字（现为 11 个字）"),
        RowError(3, "年度", "年度不对"),
        RowError(3, "场所码", "点段不在册"),
        RowError(3, "场所码", "另一个"),
    ]
