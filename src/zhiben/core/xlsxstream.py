"""Moved to :mod:`zhiben.core.tabular.writer` (issue 10); this re-export goes
once every caller imports the new module."""

from zhiben.core.tabular.writer import (
    MAX_CELL_CHARS,
    STYLE_DATE,
    STYLE_DATETIME,
    STYLE_HEADER,
    SheetWriter,
    column_letter,
)

__all__ = ["MAX_CELL_CHARS", "STYLE_DATE", "STYLE_DATETIME", "STYLE_HEADER", "SheetWriter", "column_letter"]
