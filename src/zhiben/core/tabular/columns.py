"""The one column spec of every spreadsheet Zhiben reads or writes.

A :class:`Column` says everything about one column of an import template or
an export: the header (the key of the header mapping when reading), the data
key it fills, its width, whether it is required, the help shown in the
template (input message and the 填写说明 sheet), and how the template formats
and offers its cells (date or text number format, a dropdown that is strict
or only a suggestion). An app declares its columns once, as a tuple, and
derives the rest with :func:`headers`, :func:`header_of` and :func:`widths`.

Parsing a cell is :mod:`zhiben.core.tabular.cells`' job (``parse_text``,
``parse_date``, ``ChoiceParser``); a column may name its parser in
``parse`` (a callable ``value -> python value`` raising ``CellError``) so
that an importer can run the simple columns in one loop — see
:func:`parse_cells`. Columns whose meaning depends on other columns (a
category that must fit the sector …) are parsed by the importer itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .cells import CellError, RowError

TEXT, DATE, CHOICE, NUMBER = "text", "date", "choice", "number"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"


@dataclass(frozen=True)
class Column:
    """One column: ``Column("发现日期", "found_on", 12, True, help, DATE)``.

    * ``kind``: ``text`` | ``date`` | ``choice`` | ``number`` (a date column is
      formatted ``yyyy-mm-dd`` in the template);
    * ``as_text``: the template formats the column as text (``@``), so that
      Excel keeps leading zeros and long digit strings (codes, phones);
    * ``strict``: the template's dropdown (when the template is given an
      option list for this header) refuses other values; otherwise it only
      suggests;
    * ``list_in_help``: list the options in the 填写说明 sheet (default: when
      strict);
    * ``parse``: optional ``value -> python value`` (raises ``CellError``).
    """

    header: str
    key: str = ""
    width: float = 12
    required: bool = False
    help: str = ""
    kind: str = TEXT
    as_text: bool = False
    strict: bool = False
    list_in_help: bool | None = None
    parse: Callable[[Any], Any] | None = None

    @property
    def number_format(self) -> str | None:
        """The template's number format of the column's cells."""
        if self.kind == DATE:
            return DATE_FORMAT
        return TEXT_FORMAT if self.as_text else None

    @property
    def shows_options(self) -> bool:
        return self.strict if self.list_in_help is None else self.list_in_help


def headers(columns: Iterable[Column]) -> tuple[str, ...]:
    return tuple(c.header for c in columns)


def header_of(columns: Iterable[Column]) -> dict[str, str]:
    """Data key → header (to name the column of an error found by key)."""
    return {c.key: c.header for c in columns if c.key}


def widths(columns: Iterable[Column]) -> tuple[float, ...]:
    return tuple(c.width for c in columns)


def parse_cells(
    columns: Sequence[Column], number: int, raw: dict[str, Any], data: dict[str, Any], errors: list[RowError]
) -> None:
    """Run the ``parse`` of every column that has one on the row ``raw``
    ({header: cell value}): the value goes to ``data[column.key]`` (None when
    the cell is wrong) and each ``CellError`` to ``errors`` as a
    :class:`RowError` of row ``number``."""
    for column in columns:
        if column.parse is None:
            continue
        try:
            data[column.key] = column.parse(raw.get(column.header))
        except CellError as exc:
            errors.append(RowError(number, column.header, exc.message))
            data[column.key] = None
