"""A document as an ordered list of blocks: paragraphs and tables.

Both input formats end up here.  A .docx gives us paragraphs and tables
directly; a .txt export of a Word document keeps its tables as *tab layout*,
which :func:`blocks_from_text` turns back into :class:`Table` blocks so that
both formats parse identically.  Two tab layouts occur in practice:

* **cell per line** (what Word/WPS "save as text" produces, see the ecology
  plan's 附件1): every cell starts on a new line with a leading tab; a cell
  that wraps continues on following lines *without* a tab, possibly after
  blank lines; rows are usually, but not always, separated by a blank line.
  The header row fixes the column count, and cells are regrouped into rows
  of that width.
* **row per line**: cells of one row on one line, separated by tabs
  (or a Markdown-style ``| a | b |`` row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .textnorm import clean_line


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    #: Rows of cells; a cell's wrapped lines are joined with "\n".
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Table

# A line that begins a new block even in the middle of a wrapped table cell:
# an annex marker ("附件2") or a top-level heading ("三、…").
_BLOCK_BREAKER = re.compile(r"^\s*(?:附件\s*[0-9一二三四五六七八九十]*\s*[:：]?|[一二三四五六七八九十]{1,3}[、.])")
_MARKDOWN_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MARKDOWN_RULE = re.compile(r"^\s*\|[\s:|-]+\|\s*$")

# Guards that stop tab-indented prose from being mistaken for a table.
_MIN_COLUMNS = 2
_MAX_HEADER_CELL_CHARS = 30


def blocks_from_text(text: str) -> list[Block]:
    """Split normalised text into paragraphs (one per non-blank line) and tables."""
    lines = text.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        table, next_i = _try_table(lines, i)
        if table is not None:
            blocks.append(table)
            i = next_i
            continue
        cleaned = clean_line(line)
        if cleaned:
            blocks.append(Paragraph(cleaned))
        i += 1
    return blocks


def render(blocks: Iterable[Block]) -> str:
    """The canonical text of a document (what ``source.sha256`` is taken of).

    One line per paragraph; one line per table row with cells joined by a
    tab and a cell's own line breaks turned into spaces.
    """
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
        else:
            out.extend("\t".join(cell.replace("\n", " ") for cell in row) for row in block.rows)
    return "\n".join(out)


def make_cell(lines: Iterable[str]) -> str:
    """A table cell's text: its non-blank cleaned lines joined by "\\n"."""
    return "\n".join(c for c in (clean_line(line) for line in lines) if c)


# --- tab layouts -------------------------------------------------------------


def _is_cell_line(line: str) -> bool:
    return line.startswith("\t") and "\t" not in line.lstrip("\t")


def _is_row_line(line: str) -> bool:
    if _MARKDOWN_ROW.match(line):
        return True
    body = line.lstrip("\t")
    return body.count("\t") >= 1 and sum(1 for c in body.split("\t") if c.strip()) >= 2


def _split_row_line(line: str) -> tuple[str, ...]:
    if _MARKDOWN_ROW.match(line):
        return tuple(make_cell([c]) for c in line.strip().strip("|").split("|"))
    # A leading tab is an empty first cell here (a continuation row), so no lstrip.
    return tuple(make_cell([c]) for c in line.split("\t"))


def _try_table(lines: list[str], start: int) -> tuple[Table | None, int]:
    line = lines[start]
    if _is_row_line(line):
        return _row_per_line_table(lines, start)
    if _is_cell_line(line):
        return _cell_per_line_table(lines, start)
    return None, start


def _row_per_line_table(lines: list[str], start: int) -> tuple[Table | None, int]:
    rows: list[tuple[str, ...]] = []
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if not _is_row_line(line):
            break
        if not _MARKDOWN_RULE.match(line):
            rows.append(_split_row_line(line))
        i += 1
    if len(rows) < 2:
        return None, start
    width = max(len(r) for r in rows)
    return Table(tuple(r + ("",) * (width - len(r)) for r in rows)), i


def _cell_per_line_table(lines: list[str], start: int) -> tuple[Table | None, int]:
    """Rebuild a table from the cell-per-line layout (see module docstring).

    State machine over lines.  A tab line opens a new cell; any other
    non-blank line continues the open cell.  The header row is everything up
    to the first blank line that is followed by a tab line; its cell count is
    the table width, and later cells are regrouped into rows of that width.
    The table ends at a non-tab line that follows a blank line once the
    current row is complete, or at an annex marker / top-level heading.
    """
    rows: list[tuple[str, ...]] = []
    row: list[list[str]] = []
    width: int | None = None
    blank_run = 0
    i = start
    while i < len(lines):
        line = lines[i]
        if _is_cell_line(line):
            header_done = width is None and bool(row) and blank_run > 0
            if header_done or (width is not None and len(row) == width):
                if width is None:
                    width = len(row)
                    if not _plausible_header(row):
                        return None, start
                rows.append(_finish_row(row, width))
                row = []
                if blank_run and _chunk_size(lines, i) > width:
                    break  # a wider chunk after a blank line: the next table's header
            row.append([line])
        elif not line.strip():
            blank_run += 1
            i += 1
            continue
        else:
            row_complete = width is not None and len(row) == width
            if _BLOCK_BREAKER.match(line) or (blank_run and row_complete):
                break
            row[-1].append(line)
        blank_run = 0
        i += 1
    if width is None:
        return None, start  # never saw a second row: not a table
    if row:
        rows.append(_finish_row(row, width))
    return Table(tuple(rows)), i


def _chunk_size(lines: list[str], i: int) -> int:
    """Number of cells from line ``i`` up to the next blank-line-then-tab boundary."""
    count = 0
    while i < len(lines):
        line = lines[i]
        if _is_cell_line(line):
            count += 1
        elif not line.strip():
            j = i
            while j < len(lines) and not lines[j].strip() and not _is_cell_line(lines[j]):
                j += 1
            if j >= len(lines) or _is_cell_line(lines[j]) or _BLOCK_BREAKER.match(lines[j]):
                return count
            i = j
            continue
        elif _BLOCK_BREAKER.match(line):
            return count
        i += 1
    return count


def _plausible_header(cells: list[list[str]]) -> bool:
    """Guard against tab-indented prose: a header has >=2 short cells."""
    return len(cells) >= _MIN_COLUMNS and all(len(make_cell(c)) <= _MAX_HEADER_CELL_CHARS for c in cells)


def _finish_row(cells: list[list[str]], width: int) -> tuple[str, ...]:
    texts = [make_cell(c) for c in cells]
    return tuple(texts + [""] * (width - len(texts)))
