"""Moved to :mod:`zhiben.core.tabular` (reader and cells, issue 10); this
re-export goes once every caller imports the new modules."""

from zhiben.core.tabular.cells import (
    DATE_HINT,
    MAX_KEPT_ERRORS,
    CellError,
    ChoiceParser,
    Problems,
    RowError,
    parse_date,
    parse_text,
)
from zhiben.core.tabular.reader import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ROWS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_UNPACKED_BYTES,
    NOT_XLSX,
    OLD_XLS_HINT,
    ImportFileError,
    SheetRows,
    check_upload,
    max_bytes,
    max_rows,
    normalize_header,
)

__all__ = [
    "DATE_HINT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "MAX_KEPT_ERRORS",
    "MAX_SHARED_STRINGS_BYTES",
    "MAX_UNPACKED_BYTES",
    "NOT_XLSX",
    "OLD_XLS_HINT",
    "CellError",
    "ChoiceParser",
    "ImportFileError",
    "Problems",
    "RowError",
    "SheetRows",
    "check_upload",
    "max_bytes",
    "max_rows",
    "normalize_header",
    "parse_date",
    "parse_text",
]
