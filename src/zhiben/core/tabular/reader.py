"""Reading uploaded spreadsheets: the upload checks and the one sheet reader.

* :func:`check_upload` refuses what is obviously not an .xlsx file (size,
  zip magic, zip layout, decompressed size) before anything is stored;
* :class:`SheetRows` reads one worksheet, maps the header row (row 1) to
  column positions by :class:`~zhiben.core.tabular.columns.Column` headers and
  yields ``(excel_row_number, {header: value})`` for every non-blank data row;
  it raises :class:`ImportFileError` (a message for the user) for a file that
  cannot be imported as a whole.

Why python-calamine
-------------------
Two readers existed: ``imports.parsing.SheetRows`` (openpyxl ``read_only``,
public API, ~5× too slow for 500,000 registry rows: openpyxl builds a cell
object per cell) and ``registry.xlsx.FastSheetRows`` (openpyxl to open the
file, then its own regular-expression scan of the sheet XML with an lxml
fallback — fast, but it read openpyxl private attributes
(``_shared_strings``, ``_date_formats``, ``_archive`` …) and imported lxml,
which was not a declared dependency). Measured on this machine (2 shared
cores, same files, reading every row and mapping the headers):

===================================  =========  =============  =========
file                                 openpyxl   FastSheetRows  calamine
===================================  =========  =============  =========
20,000 hazards (openpyxl, shared)    16.2 s     8.0 s          0.65 s
100,000 units (XlsxWriter, inline)   22.0 s     7.1 s          1.9 s
500,000 units (XlsxWriter, inline)   —          —              39 s
===================================  =========  =============  =========

``python-calamine`` (the Python binding of the maintained Rust ``calamine``
crate, wheels for every platform we deploy) is 4–12× faster than the best of
the two, reads shared and inline strings, rich text, booleans, dates by
number format and the 1904 date system, and needs nothing private. Its cost:
it holds the whole sheet in memory while it is read (about 1.5 KB per row of
18 columns: a process that only reads peaks at 247 MB for 100,000 units — the
default row limit — and 857 MB for 500,000, against 118 MB with
FastSheetRows, whose memory does not grow with the rows). The
upload limits bound it (``ZHIBEN_IMPORT_MAX_BYTES``/``_MAX_ROWS``,
:data:`MAX_UNPACKED_BYTES`; 500,000 rows need both raised), and an import job
runs in its own worker, so we take the speed; a deployment that raises the
limits must give the worker that memory.

Values follow openpyxl's ``data_only`` reading, which the importers were
written against: empty cells are ``None`` (calamine gives ""), whole numbers
``int`` (calamine gives float), date-formatted cells ``datetime`` (calamine
gives ``date`` for a date without time); text stays as written (a date typed
as text is parsed by ``parse_date``); a formula without a cached value is
``None``. The workbook's epoch (1900 or 1904) is read from xl/workbook.xml
for serial numbers in cells without a date format (see ``parse_date``).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO, Any

from django.conf import settings

from zhiben.core.errors import ValidationFailed

from .cells import is_blank

NOT_XLSX = "文件不是有效的 Excel（.xlsx）文件"
OLD_XLS_HINT = "旧版 .xls 文件请先在 Excel 或 WPS 中“另存为” .xlsx 格式"
NO_HEADER = "文件没有表头（第 1 行应为列名），请使用导入模板"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 100_000
# A 20 MB upload may not unpack to more than this (zip bombs); the shared
# strings table is read into memory whole, so it gets its own, lower limit.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_SHARED_STRINGS_BYTES = 200 * 1024 * 1024

WINDOWS_EPOCH = dt.datetime(1899, 12, 30)
MAC_EPOCH = dt.datetime(1904, 1, 1)
_DATE1904_RE = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904=\"(?:1|true)\"")


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
    """A header cell as a column name: no spaces, no 必填 marks."""
    text = re.sub(r"\s+", "", str(value or ""))
    for mark in ("（必填）", "(必填)", "*", "＊"):
        text = text.replace(mark, "")
    return text


def map_header(header: Sequence[Any], headers: Sequence[str], required: Sequence[str]) -> dict[str, int]:
    """{column name: position} of the names in ``headers`` found in the
    header row; unknown columns are ignored (an export, which has extra
    columns, can be imported again)."""
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


def workbook_epoch(fh: IO[bytes]) -> dt.datetime:
    """The workbook's date system (1900 or 1904), from xl/workbook.xml."""
    fh.seek(0)
    with zipfile.ZipFile(fh) as archive:
        names = {name.lower(): name for name in archive.namelist()}
        name = names.get("xl/workbook.xml")
        data = archive.read(name) if name else b""
    fh.seek(0)
    return MAC_EPOCH if _DATE1904_RE.search(data) else WINDOWS_EPOCH


def _value(value: Any) -> Any:
    """A calamine cell as openpyxl (data_only) reads it."""
    kind = type(value)
    if kind is str:
        return value if value else None
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


class SheetRows:
    """The data rows of one worksheet (see the module docstring).

    ``headers`` are the column names the importer understands; those in
    ``required_headers`` must be present. Iterating yields
    ``(excel_row_number, {header: value})`` for every non-blank row and
    raises :class:`ImportFileError` past ``limit`` data rows (default
    ``ZHIBEN_IMPORT_MAX_ROWS``). A sheet named ``sheet_name`` is read, else
    the first worksheet; with ``optional=True`` a missing sheet gives no rows
    (``present`` is False) instead. A row is blank when all its cells are;
    with ``blank_if_unread=True`` when all the cells of the columns read are
    (values in other columns do not make a row). ``epoch`` is the workbook's
    date system, ``estimate`` the number of data rows the sheet claims (for
    progress).
    """

    def __init__(
        self,
        fh: IO[bytes],
        *,
        headers: Sequence[str],
        required_headers: Sequence[str] = (),
        sheet_name: str | None = None,
        optional: bool = False,
        limit: int | None = None,
        blank_if_unread: bool = False,
    ):
        import python_calamine

        self.present = True
        self.index: dict[str, int] = {}
        self.estimate = 0
        self.epoch = WINDOWS_EPOCH
        self.limit = limit if limit is not None else max_rows()
        self.blank_if_unread = blank_if_unread
        self.workbook = None
        self._rows: Iterator[list[Any]] = iter(())
        try:
            self.epoch = workbook_epoch(fh)
            self.workbook = python_calamine.CalamineWorkbook.from_filelike(fh)
            name = self._sheet_name(sheet_name, optional)
            if name is None:
                self.present = False
                return
            sheet = self.workbook.get_sheet_by_name(name)
            self.estimate = max(sheet.end[0], 0) if sheet.end else 0
            self._rows = sheet.iter_rows()  # from row 1, whatever the first used row
            header = next(self._rows, None)
            if header is None or all(is_blank(v) for v in header):
                raise ImportFileError(NO_HEADER)
            self.index = map_header(header, headers, required_headers)
        except ImportFileError:
            self.close()
            raise
        except Exception:  # calamine's errors, a broken zip, XML errors …
            self.close()
            raise ImportFileError(NOT_XLSX) from None

    def _sheet_name(self, wanted: str | None, optional: bool) -> str | None:
        import python_calamine

        names = [
            sheet.name
            for sheet in self.workbook.sheets_metadata
            if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        if not names:
            raise ImportFileError("文件中没有工作表")
        if wanted and wanted in names:
            return wanted
        return None if optional else names[0]

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any]]]:
        if not self.present:
            return
        count = 0
        items = list(self.index.items())
        limit = self.limit
        for number, row in enumerate(self._rows, start=2):
            width = len(row)
            values = {name: (_value(row[pos]) if pos < width else None) for name, pos in items}
            if all(is_blank(v) for v in (values.values() if self.blank_if_unread else row)):
                continue
            count += 1
            if count > limit:
                raise ImportFileError(f"数据超过 {limit} 行，请拆分后分批导入")
            yield number, values

    def close(self) -> None:
        workbook, self.workbook = self.workbook, None
        self._rows = iter(())
        if workbook is not None:
            workbook.close()

    def __enter__(self) -> SheetRows:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
