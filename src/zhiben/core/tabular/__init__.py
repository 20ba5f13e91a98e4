"""Spreadsheets in and out: the one tabular layer of every app (issue 10).

An app declares its columns once and calls these; nothing else in Zhiben
reads or writes .xlsx for imports and list exports.

Declaring columns — :mod:`.columns`
    ``Column(header, key, width, required, help, kind, as_text=, strict=,
    list_in_help=, parse=)``; ``headers(columns)``, ``header_of(columns)``
    (key → header), ``widths(columns)``, ``parse_cells(columns, number, raw,
    data, errors)`` (runs the columns' own ``parse``).

Reading an upload — :mod:`.reader` and :mod:`.cells`
    ``check_upload(upload)`` (size and zip checks, raises ValidationFailed);
    ``SheetRows(fh, headers=, required_headers=, sheet_name=, optional=,
    limit=, blank_if_unread=)``, a context manager yielding ``(excel_row,
    {header: value})`` (python-calamine; why: the module docstring), with
    ``.epoch``, ``.estimate``, ``.present``; ``ImportFileError`` (the file as
    a whole), ``NOT_XLSX``, ``max_rows()``, ``max_bytes()``,
    ``normalize_header``, ``map_header``.
    Cells: ``parse_text``, ``parse_date`` (``DATE_HINT``), ``parse_integer``
    (digits only), ``ChoiceParser`` (TextChoices by label or value),
    ``CellError`` (one cell), ``RowError(row, column, message)``, ``Problems``
    (bounded error list).
    One row's cells: ``RowCells(number, raw, errors, epoch=)`` with
    ``.text(header, max_length, required=)``, ``.date(header, required=)``,
    ``.integer(header, required=)``, ``.choice(header, mapping, max_length=,
    required=, blank=, invalid=, unknown=)``, ``.get(header, parse, default)``
    and ``.fail(header, message)``: a bad cell becomes a ``RowError`` of the
    row (column = header) and reads as blank, so one pass names every bad
    cell — instead of a ``try/except CellError`` around each cell.
    ``add_field_errors(errors, number, problems, header_of, default)``: the
    service rules' errors (by data key) as the row's errors (by column),
    except in a column that already has a bad cell.

Writing an export — :mod:`.writer`
    ``write_sheet(target, sheet_name, columns, rows)`` or
    ``SheetWriter(target, sheet_name, headers, widths)`` with
    ``write_row``/``write_rows``: one streamed sheet (str, numbers, bool,
    date, naive datetime, None), constant memory.

Building an import template — :mod:`.template`
    ``build_template([(sheet, columns)], title=, notes=, options=,
    help_widths=, tables=[HelpTable(...)])`` → bytes: header row with help,
    dropdowns from option lists, 填写说明 and hidden 选项 sheets.
    ``XLSX_CONTENT_TYPE``, ``HELP_SHEET``, ``OPTIONS_SHEET``.

Helpers — :mod:`.lookups`
    ``labels(choices)`` (value → label, for exports), ``by_label(choices,
    short=)`` (value or label → value, for imports), ``clean_path(text)``,
    ``by_code_and_name(objects)``.
    Organisation names ("部门/科室" paths, owner options) are in
    :mod:`zhiben.org.tabular`; the import job runner and the upload/template
    /export pages are in :mod:`zhiben.imports`.

This package sits in core: it imports Django and ``zhiben.core`` only.
"""

from .cells import (
    DATE_HINT,
    CellError,
    ChoiceParser,
    Problems,
    RowCells,
    RowError,
    add_field_errors,
    is_blank,
    parse_date,
    parse_integer,
    parse_text,
)
from .columns import CHOICE, DATE, NUMBER, TEXT, Column, header_of, headers, parse_cells, widths
from .lookups import by_code_and_name, by_label, clean_path, labels
from .reader import (
    NOT_XLSX,
    ImportFileError,
    SheetRows,
    check_upload,
    map_header,
    max_bytes,
    max_rows,
    normalize_header,
)
from .template import HELP_SHEET, OPTIONS_SHEET, XLSX_CONTENT_TYPE, HelpTable, build_template
from .writer import SheetWriter, column_letter, write_sheet

__all__ = [
    "CHOICE",
    "DATE",
    "DATE_HINT",
    "HELP_SHEET",
    "NOT_XLSX",
    "NUMBER",
    "OPTIONS_SHEET",
    "TEXT",
    "XLSX_CONTENT_TYPE",
    "CellError",
    "ChoiceParser",
    "Column",
    "HelpTable",
    "ImportFileError",
    "Problems",
    "RowCells",
    "RowError",
    "SheetRows",
    "SheetWriter",
    "add_field_errors",
    "build_template",
    "by_code_and_name",
    "by_label",
    "check_upload",
    "clean_path",
    "column_letter",
    "header_of",
    "headers",
    "is_blank",
    "labels",
    "map_header",
    "max_bytes",
    "max_rows",
    "normalize_header",
    "parse_cells",
    "parse_date",
    "parse_integer",
    "parse_text",
    "widths",
    "write_sheet",
]
