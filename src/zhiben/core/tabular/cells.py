"""One cell → one Python value, and the problems of a row.

``parse_*`` turn a cell (as :class:`~zhiben.core.tabular.reader.SheetRows`
yields it: str, int, float, bool, datetime or None) into a value, or raise
:class:`CellError` with a Chinese message that names the column. The
messages are the ones users see in an import job's error list; tests in
tests/imports and tests/hazards_xlsx pin them.

:class:`RowCells` reads the cells of one row for an importer: each reader
returns the value, or records the cell's problem as a :class:`RowError` of
the row and returns a blank value, so that one pass names every bad cell.

Dates: a real Excel date, an Excel serial number in a cell without a date
format (converted with the workbook's epoch, 1900 or 1904), a number like
20250301, or text such as 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db import models


class CellError(Exception):
    """One cell is wrong; ``message`` names the column."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
    """A problem of one row (Excel row number) in one column (header)."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


MAX_KEPT_ERRORS = 10_000


class Problems(list):
    """Row errors: keeps the first ``cap`` (a file of garbage must not fill
    the memory) but counts them all, and the rows they are on."""

    def __init__(self, cap: int = MAX_KEPT_ERRORS):
        super().__init__()
        self.cap = cap
        self.total = 0
        self.rows: set[int] = set()

    def add(self, error: RowError) -> None:
        self.total += 1
        self.rows.add(error.row)
        if len(self) < self.cap:
            self.append(error)

    def add_all(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.add(error)


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DATE_HINT = "可填 2025-03-01、2025/3/1 或 2025年3月1日"


def _shown(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) <= 30 else text[:30] + "…"


def parse_text(value: Any, label: str, *, required: bool = False, max_length: int | None = None) -> str:
    """The cell as stripped text (12.0 → "12", True → "是", a midnight
    date-time → "2025-03-01")."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "是" if value else "否"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    else:
        text = str(value)
    text = text.strip()
    if required and not text:
        raise CellError(f"请填写{label}")
    if max_length is not None and len(text) > max_length:
        raise CellError(f"{label}不能超过 {max_length} 个字（现为 {len(text)} 个字）")
    return text


def parse_integer(value: Any, label: str, *, required: bool = False, max_length: int = 10) -> int | None:
    """A whole number written with digits only (12 or "12"; 12.0 counts as 12), None when blank.
    The range is the service's rule."""
    text = parse_text(value, label, required=required, max_length=max_length)
    if not text:
        return None
    if not text.isdigit():
        raise CellError(f"{label}须为整数")
    return int(text)


def parse_date(value: Any, label: str, *, required: bool = False, epoch: dt.datetime | None = None) -> dt.date | None:
    """A real Excel date, or text such as 2025-03-01, 2025/3/1, 2025年3月1日."""
    if is_blank(value):
        if required:
            raise CellError(f"请填写{label}")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError(f"{label}“{_shown(value)}”不是有效日期（{DATE_HINT}）")
    if isinstance(value, int | float):
        return _number_date(value, label, epoch)
    text = str(value).strip()
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not match:
        raise CellError(f"{label}“{_shown(text)}”不是有效日期（{DATE_HINT}）")
    return _ymd(*match.groups(), label=label, raw=text)


def _number_date(value: float, label: str, epoch: dt.datetime | None) -> dt.date:
    if float(value).is_integer() and _COMPACT_DATE_RE.match(str(int(value))):
        return _ymd(*_COMPACT_DATE_RE.match(str(int(value))).groups(), label=label, raw=value)
    if 1 <= value < 2958466:  # an Excel serial number in a cell without a date format
        from openpyxl.utils.datetime import from_excel

        kwargs = {"epoch": epoch} if epoch is not None else {}
        converted = from_excel(value, **kwargs)
        return converted.date() if isinstance(converted, dt.datetime) else converted
    raise CellError(f"{label}“{_shown(value)}”不是有效日期（{DATE_HINT}）")


def _ymd(year: str, month: str, day: str, *, label: str, raw: Any) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise CellError(f"{label}“{_shown(raw)}”不是有效日期（{DATE_HINT}）") from None


class ChoiceParser:
    """Chinese label (or stored value) → stored value of a TextChoices."""

    def __init__(self, choices: type[models.TextChoices], label: str, *, default: str | None = None):
        self.label = label
        self.default = default
        self.by_text: dict[str, str] = {}
        for member in choices:
            self.by_text[str(member.label)] = member.value
            self.by_text[member.value] = member.value
        self.labels = [str(member.label) for member in choices]

    def __call__(self, value: Any) -> str:
        text = parse_text(value, self.label)
        if not text:
            if self.default is None:
                raise CellError(f"请填写{self.label}")
            return self.default
        found = self.by_text.get(text)
        if found is None:
            raise CellError(f"{self.label}“{_shown(text)}”无效，可选：{'、'.join(self.labels)}")
        return found


def add_field_errors(
    errors: list[RowError], number: int, problems: Mapping[str, str], header_of: Mapping[str, str], default: str
) -> None:
    """Add the service rules' ``problems`` (message by data key) to the row's ``errors`` as
    :class:`RowError` of row ``number``, in the column ``header_of[key]`` (``default`` for a
    key without a column); a column that already had a problem (a bad cell) keeps that one only."""
    taken = {e.column for e in errors}
    for key, message in problems.items():
        header = header_of.get(key, default)
        if header not in taken:
            errors.append(RowError(number, header, message))


_TEXT = object()  # RowCells.choice: an unknown text stands for itself


class RowCells:
    """The cells of one data row, read for an importer: ``number`` (its Excel row), ``raw``
    ({header: value} as :class:`~zhiben.core.tabular.reader.SheetRows` yields it), ``errors``
    (the row's problem list) and the workbook's ``epoch`` (for serial-number dates).

    Each reader parses the cell of ``header`` (the header also names the column in messages);
    a bad cell adds ``RowError(number, header, message)`` to ``errors`` and reads as blank
    ("" for text, None otherwise), so that the rest of the row is still checked::

        cells = RowCells(number, raw, errors, epoch=rows.epoch)
        data = {"name": cells.text("名称", 100, required=True), "found_on": cells.date("发现日期")}
    """

    def __init__(self, number: int, raw: Mapping[str, Any], errors: list[RowError], *, epoch=None):
        self.number = number
        self.raw = raw
        self.errors = errors
        self.epoch = epoch

    def fail(self, header: str, message: str) -> None:
        """Record a problem of the cell ``header`` found by the importer itself."""
        self.errors.append(RowError(self.number, header, message))

    def get(self, header: str, parse: Callable[[Any], Any], default: Any = None) -> Any:
        """``parse(cell value)``; ``default`` when it raises :class:`CellError` (recorded)."""
        try:
            return parse(self.raw.get(header))
        except CellError as exc:
            self.fail(header, exc.message)
            return default

    def text(self, header: str, max_length: int, *, required: bool = False) -> str:
        """The cell as stripped text (:func:`parse_text`); "" when wrong."""
        return self.get(header, lambda v: parse_text(v, header, required=required, max_length=max_length), "")

    def date(self, header: str, *, required: bool = False) -> dt.date | None:
        """The cell as a date (:func:`parse_date`, with the row's ``epoch``); None when blank or wrong."""
        return self.get(header, lambda v: parse_date(v, header, required=required, epoch=self.epoch))

    def integer(self, header: str, *, required: bool = False) -> int | None:
        """The cell as a whole number (:func:`parse_integer`); None when blank or wrong."""
        return self.get(header, lambda v: parse_integer(v, header, required=required))

    def choice(
        self,
        header: str,
        mapping: Mapping[str, Any],
        *,
        max_length: int,
        required: bool = False,
        blank: str = "",
        invalid: str = "",
        unknown: Any = _TEXT,
    ) -> Any:
        """The cell's text (``blank`` when empty or wrong) looked up in ``mapping`` (e.g.
        :func:`~zhiben.core.tabular.lookups.by_label`). A text not in it is recorded with the
        message ``invalid`` (``{text}`` stands for the text; no message: left to the service's
        rule) and reads as ``unknown`` (default: the text itself)."""
        text = self.text(header, max_length, required=required) or blank
        if text in mapping:
            return mapping[text]
        if text and invalid:
            self.fail(header, invalid.format(text=text))
        return text if unknown is _TEXT else unknown
