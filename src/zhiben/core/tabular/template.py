"""The one import-template builder.

An import template is a workbook a user fills in and uploads:

* one data sheet per ``(sheet name, columns)``: the header row (required
  headers in red), each column's width and number format (date, text), an
  input message with the column's help on its cells, a dropdown where the
  template has an option list for the header (strict columns refuse other
  values, the others only suggest), a frozen header row;
* a 填写说明 sheet: a title, numbered notes, a table of the first data
  sheet's columns (列名 / 必填 / 说明 / 可选值) and any further tables the app
  adds (:class:`HelpTable`, e.g. the hazard categories and their sectors);
* a hidden 选项 sheet with one column per option list used by a dropdown.

It is written with XlsxWriter (data validations, comments and formats are
beyond the streaming :mod:`~zhiben.core.tabular.writer`); templates are small.
Apps call :func:`build_template` with their
:class:`~zhiben.core.tabular.columns.Column` declarations.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .columns import Column
from .reader import max_rows

HELP_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HELP_HEADERS = ("列名", "必填", "说明", "可选值")
_HEADER = {"bold": True, "bg_color": "#FDECEC", "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}


@dataclass(frozen=True)
class HelpTable:
    """A further table on the 填写说明 sheet: a bold title, a header row
    (an empty header leaves its cell unwritten) and rows of text (None leaves
    a cell unwritten; the last column wraps)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str | None]] = field(default_factory=tuple)


def build_template(
    sheets: Sequence[tuple[str, Sequence[Column]]],
    *,
    title: str,
    notes: Sequence[str],
    options: Mapping[str, Sequence[str]],
    help_widths: Sequence[float] = (18, 8, 60, 60),
    tables: Sequence[HelpTable] = (),
) -> bytes:
    """The template as .xlsx bytes. ``options`` maps a header to its option
    list (in the order the lists appear on the 选项 sheet); lists for headers
    no column has are left out. ``help_widths`` are the 填写说明 sheet's
    column widths."""
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    )
    formats = {
        "header": workbook.add_format(_HEADER),
        "required": workbook.add_format({**_HEADER, "font_color": "#B91C1C"}),
        "bold": workbook.add_format({"bold": True}),
        "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
    }
    data_sheets = [(workbook.add_worksheet(name), columns) for name, columns in sheets]
    help_sheet = workbook.add_worksheet(HELP_SHEET)
    option_sheet = workbook.add_worksheet(OPTIONS_SHEET)
    used = {c.header for _, columns in sheets for c in columns}
    ranges = _option_sheet(option_sheet, {k: v for k, v in options.items() if k in used}, formats["bold"])
    number_formats: dict[str, Any] = {}
    for sheet, columns in data_sheets:
        _data_sheet(workbook, sheet, columns, ranges, formats, number_formats)
    data_sheets[0][0].activate()
    _help_sheet(help_sheet, sheets[0][1], title, notes, options, help_widths, tables, formats)
    workbook.close()
    return out.getvalue()


def _option_sheet(sheet, options: Mapping[str, Sequence[str]], bold) -> dict[str, str]:
    """Write the lists, one per column, and hide the sheet; {header: range}."""
    from xlsxwriter.utility import xl_col_to_name

    ranges: dict[str, str] = {}
    for col, (name, values) in enumerate(options.items()):
        sheet.write_string(0, col, name, bold)
        for row, value in enumerate(values, start=1):
            sheet.write_string(row, col, value)
        letter = xl_col_to_name(col)
        ranges[name] = f"='{OPTIONS_SHEET}'!${letter}$2:${letter}${max(len(values), 1) + 1}"
    sheet.hide()
    return ranges


def _validation(column: Column, ranges: Mapping[str, str]) -> dict[str, Any] | None:
    """The data validation of a column's cells: a dropdown, or only the input
    message; None when there is neither."""
    validation: dict[str, Any] = {"input_title": column.header[:32], "input_message": column.help[:255]}
    if column.header in ranges:
        validation.update(validate="list", source=ranges[column.header])
        if column.strict:
            validation.update(error_title="输入值无效", error_message=f"请从下拉列表中选择{column.header}")
        else:
            validation["show_error"] = False
        return validation
    if not column.help:
        return None
    validation["validate"] = "any"
    return validation


def _data_sheet(workbook, sheet, columns: Sequence[Column], ranges, formats, number_formats: dict[str, Any]) -> None:
    last_row = max_rows()
    sheet.set_row(0, 30)
    for col, column in enumerate(columns):
        fmt = None
        if column.number_format:
            if column.number_format not in number_formats:
                number_formats[column.number_format] = workbook.add_format({"num_format": column.number_format})
            fmt = number_formats[column.number_format]
        sheet.set_column(col, col, column.width, fmt)
        sheet.write_string(0, col, column.header, formats["required" if column.required else "header"])
        validation = _validation(column, ranges)
        if validation is not None:
            sheet.data_validation(1, col, last_row, col, validation)
    sheet.freeze_panes(1, 0)


def _help_sheet(sheet, columns, title, notes, options, widths, tables: Sequence[HelpTable], formats) -> None:
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, title, formats["title"])
    for row, note in enumerate(notes, start=1):
        sheet.write_string(row, 0, note)
    row = len(notes) + 2
    _table_header(sheet, row, HELP_HEADERS, formats["header"])
    for column in columns:
        row += 1
        allowed = options.get(column.header) if column.shows_options else None
        sheet.write_string(row, 0, column.header, formats["bold"])
        sheet.write_string(row, 1, "是" if column.required else "")
        sheet.write_string(row, 2, column.help, formats["wrap"])
        sheet.write_string(row, 3, "、".join(allowed) if allowed else "", formats["wrap"])
    for table in tables:
        row += 2
        sheet.write_string(row, 0, table.title, formats["bold"])
        row += 1
        _table_header(sheet, row, table.headers, formats["header"])
        last = len(table.headers) - 1
        for values in table.rows:
            row += 1
            for col, value in enumerate(values):
                if value is not None:
                    sheet.write_string(row, col, value, formats["wrap"] if col == last else None)


def _table_header(sheet, row: int, titles: Sequence[str], fmt) -> None:
    for col, title in enumerate(titles):
        if title:
            sheet.write_string(row, col, title, fmt)
