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
  (or a Markdown-style ``| a | b |`` row, ``<br>`` a line break in a cell).

Pasted or typed plans add a third layout, **space aligned**: cells separated
by runs of two or more spaces (a full-width space counts as two, see
:mod:`.textnorm`), columns aligned under a header row.  Prose contains double
spaces too, so this layout is only recognised when its first line is a
*task-table header* (:func:`.task_tables.find_header`: a 牵头/责任单位 column
and a 任务/措施 column).  A row's cells are placed by column position (for
each piece the header cell it overlaps most); a row with exactly as many
pieces as the header has cells is read in order, aligned or not.

**Wrapped cells** in row-per-line layouts (all three): a line is a *wrap* of
the row above, its pieces appended to the cells above them, when it has one
filled cell (that is not a section label like "一、…"), or when its first cell
is empty and every filled cell continues an unfinished cell of the row above
(one not ending in 。；！？ and not repeated verbatim).  Otherwise a line with
an empty first cell is a continuation row (a merged 序号/任务 cell, read by
:mod:`.task_tables`).  A wrap is a visual line break: its text is joined to the
cell without a line break unless the cell above ended a sentence.  In the tab
layout a row that has fewer cells than the header also continues on the next
line (a cell with a line break copied from Word or Excel: the rest of the
cell, then the remaining cells).  A one-cell line after a blank line, a
heading ("三、…") or an annex marker ends the table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from .task_tables import find_header
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


def _split_row_line(line: str) -> list[str]:
    if _MARKDOWN_ROW.match(line):
        return [make_cell(_BR.split(c)) for c in line.strip().strip("|").split("|")]
    # A leading tab is an empty first cell here (a continuation row), so no lstrip.
    return [make_cell([c]) for c in line.split("\t")]


def _try_table(lines: list[str], start: int) -> tuple[Table | None, int]:
    line = lines[start]
    if _is_row_line(line):
        return _row_per_line_table(lines, start)
    if _is_cell_line(line):
        return _cell_per_line_table(lines, start)
    if "  " in line.strip():
        return _space_table(lines, start)
    return None, start


# --- wrapped cells (all row-per-line layouts) ------------------------------------------

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ROW_NUMBER = re.compile(r"\d{1,3}[.、]?")
_SENTENCE_END = "。；;！？!?"
_SECTION_LABEL = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.]|[（(][一二三四五六七八九十]{1,3}[）)])")


def _join(above: str, wrapped: str) -> str:
    """A cell's text continued by a wrapped line (see the module docstring)."""
    if not above or not wrapped:
        return above or wrapped
    return above + ("\n" if above[-1] in _SENTENCE_END else "") + wrapped


def _is_wrap(above: list[str] | None, cells: list[str]) -> bool:
    if above is None:
        return False
    filled = [j for j, c in enumerate(cells) if c]
    if not filled:
        return False
    if len(filled) == 1:
        return not _SECTION_LABEL.match(cells[filled[0]])
    if cells[0]:
        return False
    return all(
        j < len(above) and above[j] and above[j][-1] not in _SENTENCE_END and cells[j] != above[j] for j in filled
    )


class _Rows:
    """Rows of a row-per-line table being read; wraps are folded into the row above."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.width = 0

    def add(self, cells: list[str]) -> None:
        above = self.rows[-1] if len(self.rows) >= 2 else None  # the header never wraps into
        if _is_wrap(above, cells):
            assert above is not None
            above.extend([""] * (len(cells) - len(above)))
            for j, text in enumerate(cells):
                above[j] = _join(above[j], text)
            return
        self.rows.append(list(cells))
        self.width = max(self.width, len(cells))

    def continue_short_row(self, cells: list[str]) -> bool:
        """Tab layout: a row with too few cells continues with this line's cells."""
        if len(self.rows) < 2 or not cells or not cells[0] or _ROW_NUMBER.fullmatch(cells[0]):
            return False
        last = self.rows[-1]
        if len(last) >= self.width or len(last) + len(cells) - 1 > self.width:
            return False
        last[-1] = _join(last[-1], cells[0])
        last.extend(cells[1:])
        return True

    def table(self) -> Table | None:
        if len(self.rows) < 2:
            return None
        return Table(tuple(tuple(r + [""] * (self.width - len(r))) for r in self.rows))


def _row_per_line_table(lines: list[str], start: int) -> tuple[Table | None, int]:
    pipe = bool(_MARKDOWN_ROW.match(lines[start]))
    rows = _Rows()
    blank = False
    i = start
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blank, i = True, i + 1
            continue
        if pipe:
            if not _MARKDOWN_ROW.match(line):
                break
            if _MARKDOWN_RULE.match(line):
                i += 1
                continue
        elif _BLOCK_BREAKER.match(line) and not _is_row_line(line):
            break
        if pipe or _is_row_line(line):
            cells = _split_row_line(line)
            if pipe or blank or not rows.continue_short_row(cells):
                rows.add(cells)
        elif blank:
            break  # a one-cell line after a blank line: the table is over
        elif "\t" in line:  # one filled cell between tabs: a wrapped cell (or the end)
            if not (rows.continue_short_row(_split_row_line(line)) or _wraps(rows, _split_row_line(line))):
                break
        elif not rows.continue_short_row([make_cell([line])]):
            break  # prose right after the table
        blank = False
        i += 1
    table = rows.table()
    return (table, i) if table is not None else (None, start)


def _wraps(rows: _Rows, cells: list[str]) -> bool:
    if len(rows.rows) < 2 or not _is_wrap(rows.rows[-1], cells):
        return False
    rows.add(cells)
    return True


# --- space-aligned layout ------------------------------------------------------------

_PIECE = re.compile(r"\S+(?: \S+)*")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pieces(line: str) -> list[tuple[int, int, str]]:
    """(start column, end column, text) of the runs separated by 2+ spaces."""
    out = []
    for match in _PIECE.finditer(line.replace("\t", "  ")):
        begin = _display_width(match.string[: match.start()])
        out.append((begin, begin + _display_width(match.group()), match.group()))
    return out


def _place(pieces: list[tuple[int, int, str]], header: list[tuple[int, int, str]]) -> list[str]:
    """A space-aligned line's cells, by position under the header (see module docstring)."""
    width = len(header)
    if len(pieces) == width:
        return [make_cell([p[2]]) for p in pieces]
    columns = []
    for begin, end, _ in pieces:
        overlaps = [min(end, h_end) - max(begin, h_begin) for h_begin, h_end, _ in header]
        best = max(range(width), key=lambda j: overlaps[j])
        if overlaps[best] <= 0:
            centre = (begin + end) / 2
            best = min(range(width), key=lambda j: abs((header[j][0] + header[j][1]) / 2 - centre))
        columns.append(best)
    if len(pieces) > 1 and any(a >= b for a, b in pairwise(columns)):
        columns = list(range(len(pieces))) if len(pieces) <= width else columns  # not aligned: in order
    cells = [""] * width
    for column, (_, _, text) in zip(columns, pieces, strict=True):
        cells[column] = _join(cells[column], make_cell([text]))
    return cells


def _space_table(lines: list[str], start: int) -> tuple[Table | None, int]:
    header = _pieces(lines[start])
    if len(header) < 3 or find_header((tuple(make_cell([h[2]]) for h in header),)) is None:
        return None, start
    rows = _Rows()
    rows.add([make_cell([h[2]]) for h in header])
    blank = False
    i = start + 1
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            blank, i = True, i + 1
            continue
        pieces = _pieces(line)
        if _BLOCK_BREAKER.match(line) or (len(pieces) == 1 and (blank or not _within_a_column(pieces[0], header))):
            break
        cells = _place(pieces, header)
        if len(pieces) == 1 and not _wraps(rows, cells):
            break
        if len(pieces) > 1:
            rows.add(cells)
        blank = False
        i += 1
    table = rows.table()
    return (table, i) if table is not None else (None, start)


def _within_a_column(piece: tuple[int, int, str], header: list[tuple[int, int, str]]) -> bool:
    """A lone piece is a wrapped cell only if it fits under one column (prose is wider)."""
    begin, end, _ = piece
    starts = [h[0] for h in header]
    for j, left in enumerate(starts):
        right = starts[j + 1] if j + 1 < len(starts) else None
        if begin >= left - 2 and (right is None or end <= right + 2):
            return True
    return False


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
