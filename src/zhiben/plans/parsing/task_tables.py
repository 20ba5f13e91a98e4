"""Task-breakdown tables (任务分解表): columns → task entries → tasks.

A table is a task table when its header names a lead-unit column (牵头单位 /
责任单位 …) and a task or requirement column.  Header synonyms:

=============  ======================================================
column         header text contains
=============  ======================================================
number         序号, 编号
title          主要任务, 重点任务, 工作任务, 任务名称, 任务, 项目, 事项
requirement    工作要求, 具体措施, 工作措施, 工作内容, 主要内容, 具体内容, 任务内容, 措施, 内容
deadline       完成时间, 完成时限, 时间节点, 时限, 进度安排, 时间安排, 期限, 时间
lead           牵头单位/部门, 主责单位/部门, 负责单位; 责任单位/部门 when no 牵头 column
participating  参与/配合/协办/协同/协助/参加单位(部门); 责任单位/部门 next to a 牵头 column
               (several such columns are all read)
=============  ======================================================

Rows are grouped into *entries*: a row with a new number starts an entry;
a row with empty number and title cells continues the previous one (that is
how vertically merged cells look in a text export, and how we read merged
cells from .docx).  A row whose only content is a heading ("一、…"/"（一）…")
sets the section of the entries below it.

**Mapping onto tasks** (decision): an entry is matched to the prose task with
the same number whose title is similar; failing that, to the prose task
with the most similar title; an entry that matches nothing becomes a task of
its own, appended after the prose tasks.  A matched entry contributes its
units (lead and participating, table first) and the deadlines and recurring
duties of its 完成时间 cells, skipping dates and schedules the prose task
already has; its 工作要求 text is not appended (it restates the prose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .units import split_unit_list

_COLUMN_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("number", re.compile(r"序号|编号")),
    ("lead", re.compile(r"牵头|主责|负责单位|负责部门")),
    ("participating", re.compile(r"参与|配合|协办|协同|协助|参加")),
    ("responsible", re.compile(r"责任单位|责任部门|责任科室|责任处室")),
    ("deadline", re.compile(r"完成时间|完成时限|时间节点|时限|进度|时间安排|期限|时间")),
    ("requirement", re.compile(r"要求|措施|内容|举措")),
    ("title", re.compile(r"任务|项目|事项|名称")),
]
_MANY = {"participating", "responsible"}
_MAX_HEADER_ROWS = 3
_SECTION_ROW = re.compile(r"^(?:[一二三四五六七八九十]{1,3}[、.]|[（(][一二三四五六七八九十]{1,3}[）)])")


@dataclass
class TableEntry:
    number: str = ""
    title: str = ""
    section: str = ""
    requirements: list[str] = field(default_factory=list)
    deadline_cells: list[str] = field(default_factory=list)
    lead: list[str] = field(default_factory=list)
    participating: list[str] = field(default_factory=list)


def _columns(header: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """Map column roles to column indexes for one header row.

    Every role has one column except "participating", which gathers all of
    参与/配合/协办… and a 责任单位 next to a 牵头 column (a header may have
    牵头单位, 责任单位 and 配合单位: the last two both participate).
    """
    columns: dict[str, tuple[int, ...]] = {}
    for index, cell in enumerate(header):
        text = re.sub(r"\s", "", cell)
        if not text or len(text) > 12:
            continue
        for role, pattern in _COLUMN_PATTERNS:
            if pattern.search(text) and (role not in columns or role in _MANY):
                columns[role] = (*columns.get(role, ()), index)
                break
    if "responsible" in columns:
        responsible = columns.pop("responsible")
        if "lead" in columns:
            columns["participating"] = tuple(sorted({*columns.get("participating", ()), *responsible}))
        else:
            columns["lead"] = responsible[:1]
            if len(responsible) > 1:
                columns["participating"] = tuple(sorted({*columns.get("participating", ()), *responsible[1:]}))
    return columns


def find_header(rows: tuple[tuple[str, ...], ...]) -> tuple[int, dict[str, tuple[int, ...]]] | None:
    """(header row index, columns) if this is a task table, else None."""
    for index, row in enumerate(rows[:_MAX_HEADER_ROWS]):
        columns = _columns(row)
        if "lead" in columns and ("title" in columns or "requirement" in columns):
            return index, columns
    return None


def read_entries(rows: tuple[tuple[str, ...], ...], caption: str = "") -> list[TableEntry]:
    """The task entries of a task table (empty if it is not one)."""
    header = find_header(rows)
    if header is None:
        return []
    header_index, columns = header

    def cell(row: tuple[str, ...], role: str) -> str:
        return "\n".join(row[i].strip() for i in columns.get(role, ()) if i < len(row) and row[i].strip())

    entries: list[TableEntry] = []
    section = ""
    current: TableEntry | None = None
    for row in rows[header_index + 1 :]:
        filled = [c for c in row if c.strip()]
        if not filled:
            continue
        spanning = len(filled) >= 2 and len(set(filled)) == 1  # a merged row across columns
        if (spanning or len(filled) == 1) and _SECTION_ROW.match(filled[0]):
            section = filled[0].split("\n")[0]
            current = None
            continue
        number = re.sub(r"\s", "", cell(row, "number"))
        title = cell(row, "title").replace("\n", "")
        starts_entry = (
            current is None
            or (number and number != current.number)
            or (not number and title and title != current.title)
        )
        if starts_entry:
            current = TableEntry(number=number, title=title, section=section or caption)
            entries.append(current)
        assert current is not None
        current.requirements.append(cell(row, "requirement"))
        current.deadline_cells.append(cell(row, "deadline"))
        current.lead.extend(split_unit_list(cell(row, "lead")))
        current.participating.extend(split_unit_list(cell(row, "participating")))
    for entry in entries:  # merged cells repeat their text on every row: keep one
        for name in ("requirements", "deadline_cells", "lead", "participating"):
            setattr(entry, name, [v for v in dict.fromkeys(getattr(entry, name)) if v])
    return entries


# --- matching entries to prose tasks -------------------------------------------------

_NON_WORD = re.compile(r"[\W_]")


@lru_cache(maxsize=4096)
def _squash(text: str) -> str:
    return _NON_WORD.sub("", text)


@lru_cache(maxsize=4096)
def _bigrams(squashed: str) -> frozenset[str]:
    return frozenset(squashed[i : i + 2] for i in range(len(squashed) - 1)) or frozenset({squashed})


def title_similarity(a: str, b: str) -> float:
    """0–1 similarity of two titles (containment counts as 1)."""
    a, b = _squash(a), _squash(b)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 1.0
    grams_a, grams_b = _bigrams(a), _bigrams(b)
    return 2 * len(grams_a & grams_b) / (len(grams_a) + len(grams_b))


_SIMILAR = 0.6


def match_entry(entry: TableEntry, tasks: list[dict], taken: set[int]) -> int | None:
    """Index of the prose task this entry describes, or None."""
    entry_title = entry.title or (entry.requirements[0] if entry.requirements else "")
    by_number = [
        i
        for i, t in enumerate(tasks)
        if i not in taken and entry.number and _squash(t["number"]) == _squash(entry.number)
    ]
    for i in by_number:
        if not entry_title or title_similarity(entry_title, tasks[i]["title"]) >= _SIMILAR:
            return i
    best, best_score = None, _SIMILAR
    for i, task in enumerate(tasks):
        if i in taken or not entry_title:
            continue
        score = title_similarity(entry_title, task["title"])
        if score >= best_score + (0 if best is None else 1e-9):
            best, best_score = i, score
    return best
