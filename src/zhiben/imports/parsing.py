"""Reading uploaded spreadsheets, row by row, in constant memory.

Shared by every importer (hazards now; units and sites later):

* :func:`check_upload` refuses what is obviously not an .xlsx file (size,
  zip magic, zip layout, decompressed size) before anything is stored;
* :class:`SheetRows` opens the workbook with openpyxl ``read_only=True``,
  maps the header row (row 1) to column positions and yields the non-blank
  data rows with their Excel row numbers;
* ``parse_*`` turn one cell into a Python value or raise :class:`CellError`
  with a Chinese message that names the column.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import models

from zhiben.core.errors import ValidationFailed

NOT_XLSX = "文件不是有效的 Excel（.xlsx）文件"
OLD_XLS_HINT = "旧版 .xls 文件请先在 Excel 或 WPS 中“另存为” .xlsx 格式"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
# A 20 MB upload may not unpack to more than this (zip bombs); the shared
# strings table is read into memory whole, so it gets its own, lower limit.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 200 * 1024 * 1024


def max_bytes() -> int:
    return int(getattr(settings, "ZHIBEN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "ZHIBEN_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not xlsx, no header, too many
    rows …); ``message`` is shown to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CellError(Exception):
    """One cell is wrong; ``message`` names the column."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RowError:
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


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"file": message})


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def check_upload(upload) -> None:
    """Refuse a file that is empty, too big or not an .xlsx workbook (by its
    bytes, never its name). Leaves the file positioned at its start."""
    size = getattr(upload, "size", None)
    limit = max_bytes()
    if size is not None and size > limit:
        raise _refuse(f"文件过大（{_mb(size)}），导入文件不能超过 {_mb(limit)}，请拆分后分批导入")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head:
        raise _refuse("文件为空")
    if head.startswith(OLE2_MAGIC):
        raise _refuse(f"{NOT_XLSX}；{OLD_XLS_HINT}")
    if not head.startswith(ZIP_MAGIC):
        raise _refuse(NOT_XLSX)
    try:
        with zipfile.ZipFile(upload) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _refuse(NOT_XLSX) from None
    finally:
        upload.seek(0)
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/") for name in names):
        raise _refuse(NOT_XLSX)
    unpacked = sum(info.file_size for info in infos)
    shared = sum(info.file_size for info in infos if info.filename.lower() == "xl/sharedstrings.xml")
    if unpacked > MAX_UNPACKED_BYTES or shared > MAX_SHARED_STRINGS_BYTES:
        raise _refuse("文件解压后过大，请拆分后分批导入")


def normalize_header(value: Any) -> str:
    text = re.sub(r"\s+", "", str(value or ""))
    for mark in ("（必填）", "(必填)", "*", "＊"):
        text = text.replace(mark, "")
    return text


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class SheetRows:
    """The data rows of one worksheet, read with openpyxl ``read_only``.

    ``headers`` are the column names the importer understands; those in
    ``required_headers`` must be present. Unknown columns are ignored, so an
    export (which has extra columns) can be imported again. Iterating yields
    ``(excel_row_number, {header: raw value})`` for every non-blank row and
    raises :class:`ImportFileError` past ``limit`` data rows.
    """

    def __init__(
        self,
        fh: IO[bytes],
        *,
        headers: Sequence[str],
        required_headers: Sequence[str] = (),
        sheet_name: str | None = None,
        limit: int | None = None,
    ):
        from openpyxl import load_workbook

        try:
            fh.seek(0)
            self.workbook = load_workbook(fh, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors …)
            raise ImportFileError(NOT_XLSX) from None
        self.epoch = getattr(self.workbook, "epoch", None)
        try:
            worksheets = [ws for ws in self.workbook.worksheets if hasattr(ws, "iter_rows")]
            if not worksheets:
                raise ImportFileError("文件中没有工作表")
            by_name = {ws.title: ws for ws in worksheets}
            self.sheet = by_name.get(sheet_name) if sheet_name else None
            self.sheet = self.sheet or worksheets[0]
            self.limit = limit if limit is not None else max_rows()
            try:
                self.estimate = max(int(self.sheet.max_row or 0) - 1, 0)
            except (TypeError, ValueError):  # pragma: no cover - a broken dimension
                self.estimate = 0
            # Trust no <dimension>: a wrong one would silently cut columns.
            self.sheet.reset_dimensions()
            self._rows = self.sheet.iter_rows(values_only=True)
            header = next(self._rows, None)
            if header is None or all(_blank(v) for v in header):
                raise ImportFileError("文件没有表头（第 1 行应为列名），请使用导入模板")
            self.index = self._map_header(header, headers, required_headers)
        except ImportFileError:
            self.close()
            raise
        except Exception:
            self.close()
            raise ImportFileError(NOT_XLSX) from None

    @staticmethod
    def _map_header(header: Sequence[Any], headers: Sequence[str], required: Sequence[str]) -> dict[str, int]:
        wanted = set(headers)
        index: dict[str, int] = {}
        for position, value in enumerate(header):
            name = normalize_header(value)
            if name in wanted:
                if name in index:
                    raise ImportFileError(f"表头中“{name}”列出现了两次")
                index[name] = position
        missing = [h for h in required if h not in index]
        if missing:
            raise ImportFileError(f"表头缺少以下列：{'、'.join(missing)}。请下载并使用导入模板")
        return index

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        count = 0
        items = list(self.index.items())
        for number, row in enumerate(self._rows, start=2):
            if not row or all(_blank(v) for v in row):
                continue
            count += 1
            if count > self.limit:
                raise ImportFileError(f"数据超过 {self.limit} 行，请拆分后分批导入")
            width = len(row)
            yield number, {name: (row[pos] if pos < width else None) for name, pos in items}

    def close(self) -> None:
        workbook = getattr(self, "workbook", None)
        if workbook is not None:
            workbook.close()

    def __enter__(self) -> SheetRows:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- Cells --------------------------------------------------------------------------------------

_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
DATE_HINT = "可填 2025-03-01、2025/3/1 或 2025年3月1日"


def _shown(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) <= 30 else text[:30] + "…"


def parse_text(value: Any, label: str, *, required: bool = False, max_length: int | None = None) -> str:
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


def parse_date(value: Any, label: str, *, required: bool = False, epoch: dt.datetime | None = None) -> dt.date | None:
    """A real Excel date, or text such as 2025-03-01, 2025/3/1, 2025年3月1日."""
    if _blank(value):
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
        if float(value).is_integer() and _COMPACT_DATE_RE.match(str(int(value))):
            return _ymd(*_COMPACT_DATE_RE.match(str(int(value))).groups(), label=label, raw=value)
        if 1 <= value < 2958466:  # an Excel serial number in a cell without a date format
            from openpyxl.utils.datetime import from_excel

            kwargs = {"epoch": epoch} if epoch is not None else {}
            converted = from_excel(value, **kwargs)
            return converted.date() if isinstance(converted, dt.datetime) else converted
        raise CellError(f"{label}“{_shown(value)}”不是有效日期（{DATE_HINT}）")
    text = str(value).strip()
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not match:
        raise CellError(f"{label}“{_shown(text)}”不是有效日期（{DATE_HINT}）")
    return _ymd(*match.groups(), label=label, raw=text)


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
