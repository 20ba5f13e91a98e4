"""The outline of a plan: title, preamble, parts (一、), sections (（一）), items (1.).

Chinese government documents number their levels in a fixed order:

====  ==================  =========================  ================
level  written             example                    ``Node.label``
====  ==================  =========================  ================
1     一、 / 一.           二、主要任务                 "二"
2     （一） / (一)        （一）开展…行动。            "（一）"
3     1. / 1、 / 1．       1.进一步强化…。             "1"
4     （1） / (1) / 1）     （1）公用人防工程…。         "（1）"
5     ① …                  ①…                         "①"
====  ==================  =========================  ================

A label only counts at the start of a paragraph, with three repairs for
real-world faults:

* **glued heading** — "…工作。二、主要任务" or "…。（二）…" or "…。2.…": a label
  after a sentence end inside a paragraph splits it, but only if it is the
  *next expected* label at its level (so an inline "（1）…（2）…" list or a
  "一是…二是…" never splits);
* **repeated heading** — a second "三、" simply starts a new part;
* **missing label** — when "（三）" follows "（一）" (or "（二）" opens a part with
  no "（一）"), the last unlabelled paragraph before it is promoted to the
  missing item "（二）"/"（一）", unless that paragraph is a lead-in ("…如下：").

Parts are classified by their heading (see :func:`classify`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .blocks import Block, Paragraph, Table
from .numerals import to_chinese, to_int

ROOT, PART, SECTION, ITEM, SUBITEM, POINT = 0, 1, 2, 3, 4, 5

_CN = "一二三四五六七八九十"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# One pattern per level; group 1 is the ordinal as written.
_LABELS: list[tuple[int, re.Pattern]] = [
    (PART, re.compile(rf"^([{_CN}]{{1,3}})\s*[、.]\s*")),
    (SECTION, re.compile(rf"^[（(]\s*([{_CN}]{{1,3}})\s*[）)]\s*")),
    (ITEM, re.compile(r"^(\d{1,3})\s*[.、](?!\d)\s*")),
    (SUBITEM, re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*|^(\d{1,3})[）)]\s*")),
    (POINT, re.compile(rf"^([{_CIRCLED}])\s*")),
]
# A label glued after a sentence end inside a paragraph (checked per level).
_GLUE_POINT = re.compile(r"[。；！？!?;]\s*")
_MAX_GLUED_PART_TITLE = 25
_LEAD_IN = re.compile(r"(?:以下|如下)[^。]*[。：:]?$|[：:]$")

ANNEX = re.compile(r"^附件\s*[0-9一二三四五六七八九十]*\s*(?:[:：].*)?$")
_MAX_ANNEX_LINE = 80
_MAX_TITLE_LINE = 50
_MAX_TITLE_LINES = 4
_DOC_NUMBER = re.compile(r"〔\d{4}〕\s*\d+\s*号$|^\s*附件\s*\d*\s*$")
# Separators left between a label and its words ("（一）：加强…", "1.；").
_LEADING_SEPARATORS = "。；;：:，,、 "
_WORD = re.compile(r"\w")


def _heading_content(piece: str) -> str:
    """What a labelled paragraph says: without separators before its first
    word; nothing when it holds no word at all (a label followed by "。")."""
    piece = piece.lstrip(_LEADING_SEPARATORS)
    return piece if _WORD.search(piece) else ""


@dataclass(frozen=True)
class Label:
    level: int
    ordinal: int
    end: int  # where the label ends in the paragraph


def match_label(text: str) -> Label | None:
    """The outline label at the start of a paragraph, if any."""
    for level, pattern in _LABELS:
        m = pattern.match(text)
        if m:
            written = next(g for g in m.groups() if g)
            ordinal = _CIRCLED.index(written) + 1 if level == POINT else to_int(written) or 0
            if ordinal <= 0:
                continue
            return Label(level, ordinal, m.end())
    return None


def format_label(level: int, ordinal: int) -> str:
    """The label as reported in ``number``: "二", "（一）", "1", "（1）", "①"."""
    if level == PART:
        return to_chinese(ordinal)
    if level == SECTION:
        return f"（{to_chinese(ordinal)}）"
    if level == ITEM:
        return str(ordinal)
    if level == SUBITEM:
        return f"（{ordinal}）"
    return _CIRCLED[ordinal - 1] if ordinal <= len(_CIRCLED) else str(ordinal)


def _display_prefix(level: int, ordinal: int) -> str:
    """The label as printed before a heading: "二、", "（一）", "1.", "（1）"."""
    if level == PART:
        return f"{to_chinese(ordinal)}、"
    if level == ITEM:
        return f"{ordinal}."
    return format_label(level, ordinal)


def lead_phrase(text: str) -> str:
    """An item's lead phrase: up to its first 。 (else first ；/：, else all)."""
    for stop in ("。", "；", ";", "：", ":"):
        if stop in text:
            return text.split(stop, 1)[0].strip()
    return text.strip().rstrip("，,、")


@dataclass(eq=False)  # nodes compare by identity
class Node:
    level: int
    ordinal: int = 0
    head: str = ""  # the labelled paragraph without its label
    lines: list[str] = field(default_factory=list)  # unlabelled paragraphs that follow
    children: list[Node] = field(default_factory=list)
    inferred: bool = False  # label reconstructed by the missing-label repair
    last_child: dict[int, Node] = field(default_factory=dict, repr=False)  # by level

    def add_child(self, child: Node) -> None:
        self.children.append(child)
        self.last_child[child.level] = child

    @property
    def label(self) -> str:
        return format_label(self.level, self.ordinal) if self.level else ""

    @property
    def title(self) -> str:
        return lead_phrase(self.head)

    @property
    def heading(self) -> str:
        """ "（一）开展安全生产责任体系提升行动", "二、主要任务"."""
        if not self.level:
            return ""
        return _display_prefix(self.level, self.ordinal) + self.title

    def own_text(self) -> str:
        return "\n".join(x for x in [self.head, *self.lines] if x)

    def text(self) -> str:
        """Everything in this node: its paragraphs, then its children labelled (as written: a label
        reconstructed by the missing-label repair was not in the input and is not shown)."""
        parts = [self.own_text()]
        parts.extend(c.printed_label() + c.text() for c in self.children)
        return "\n".join(p for p in parts if p)

    def body_text(self) -> str:
        """Like :meth:`text` without the heading's lead phrase."""
        head_rest = self.head[len(self.title) :].lstrip("。；;：: ")
        parts = [x for x in [head_rest, *self.lines] if x]
        parts.extend(c.printed_label() + c.text() for c in self.children)
        return "\n".join(parts)

    def printed_label(self) -> str:
        """The label as it stood before this node in the input ("" for an inferred one)."""
        return "" if self.inferred else _display_prefix(self.level, self.ordinal)


class _OutlineBuilder:
    """Feeds paragraphs into a tree, repairing the faults listed above."""

    def __init__(self) -> None:
        self.root = Node(ROOT)
        self.stack: list[Node] = [self.root]
        self.last_item_in_part: dict[int, int] = {}  # id(part) → last item ordinal

    def feed(self, paragraph: str) -> None:
        text = paragraph
        while text:
            label = match_label(text)
            if label is not None:
                node = self._open(label)
                body = text[label.end :]
            else:
                node = None
                body = text
            cut = self._glued_label_at(body)
            piece, text = (body[:cut].rstrip(), body[cut:]) if cut else (body, "")
            if node is not None:
                node.head = _heading_content(piece)
            elif piece:
                top = self.stack[-1]
                if top.level and not top.head and not top.lines and not top.children:
                    top.head = _heading_content(piece)  # the label stood alone on its line
                else:
                    top.lines.append(piece)

    # -- labels -------------------------------------------------------------------

    def _parent_for(self, level: int) -> Node:
        for node in reversed(self.stack):
            if node.level < level:
                return node
        return self.root

    def _expected(self, level: int) -> set[int]:
        """Ordinals that may come next at ``level`` under the current state."""
        parent = self._parent_for(level)
        previous = parent.last_child.get(level)
        expected = {previous.ordinal + 1 if previous else 1}
        if level == ITEM:
            # Items may be numbered across sections (1–3 in （一）, 4–5 in （二）).
            part = self._current_part()
            if part is not None and id(part) in self.last_item_in_part:
                expected.add(self.last_item_in_part[id(part)] + 1)
        return expected

    def _current_part(self) -> Node | None:
        return next((n for n in self.stack if n.level == PART), None)

    def _glued_label_at(self, body: str) -> int:
        """Index in ``body`` where a glued next-expected label starts (0 if none)."""
        for m in _GLUE_POINT.finditer(body):
            pos = m.end()
            label = match_label(body[pos:])
            if label is None or label.level > ITEM:
                continue
            rest = body[pos + label.end :]
            if not rest or not ("\u4e00" <= rest[0] <= "\u9fff" or rest[0] in "“《"):
                continue
            if label.level == PART:
                last = self._last_part_ordinal()
                if label.ordinal != last + 1 or len(lead_phrase(rest)) > _MAX_GLUED_PART_TITLE:
                    continue
            elif label.ordinal not in self._expected(label.level):
                continue
            return pos
        return 0

    def _last_part_ordinal(self) -> int:
        last = self.root.last_child.get(PART)
        return last.ordinal if last else 0

    def _open(self, label: Label) -> Node:
        parent = self._parent_for(label.level)
        while self.stack[-1] is not parent:
            self.stack.pop()
        self._repair_missing(parent, label)
        node = Node(label.level, label.ordinal)
        parent.add_child(node)
        self.stack.append(node)
        if label.level == ITEM:
            part = self._current_part()
            if part is not None:
                self.last_item_in_part[id(part)] = label.ordinal
        return node

    def _repair_missing(self, parent: Node, label: Label) -> None:
        """Promote the paragraph before a one-step gap to the missing item."""
        if parent.level == ROOT:
            return
        prev = parent.last_child.get(label.level)
        if prev is not None:
            if label.ordinal != prev.ordinal + 2 or prev.children or not prev.lines:
                return
            holder = prev
        else:
            if label.ordinal != 2 or parent.children or not parent.lines:
                return
            holder = parent
        candidate = holder.lines[-1]
        if _LEAD_IN.search(candidate):
            return
        holder.lines.pop()
        parent.add_child(Node(label.level, label.ordinal - 1, head=candidate, inferred=True))


# --- the document ------------------------------------------------------------------


@dataclass
class Document:
    title: str
    preamble: list[str]
    root: Node
    body_tables: list[tuple[str, Table]]  # (caption, table) before the annexes
    annex_tables: list[tuple[str, Table]]
    annex_paragraphs: list[str]

    @property
    def parts(self) -> list[Node]:
        return [c for c in self.root.children if c.level <= SECTION]


def read_document(blocks: list[Block]) -> Document:
    """Build the outline of a plan from its blocks."""
    title_lines, start = _title(blocks)
    annex_at = _annex_start(blocks, start)
    builder = _OutlineBuilder()
    body_tables: list[tuple[str, Table]] = []
    last_paragraph = ""
    for block in blocks[start:annex_at]:
        if isinstance(block, Paragraph):
            builder.feed(block.text)
            last_paragraph = block.text
        else:
            body_tables.append((last_paragraph, block))
    annex_tables: list[tuple[str, Table]] = []
    annex_paragraphs: list[str] = []
    caption = ""
    for block in blocks[annex_at:]:
        if isinstance(block, Paragraph):
            annex_paragraphs.append(block.text)
            caption = block.text
        else:
            annex_tables.append((caption, block))
    root = builder.root
    preamble = root.lines
    return Document(
        title="".join(title_lines),
        preamble=preamble,
        root=root,
        body_tables=body_tables,
        annex_tables=annex_tables,
        annex_paragraphs=annex_paragraphs,
    )


def _title(blocks: list[Block]) -> tuple[list[str], int]:
    """Leading short lines that are not sentences or labels form the title."""
    lines: list[str] = []
    i = 0
    while i < len(blocks) and len(lines) < _MAX_TITLE_LINES:
        block = blocks[i]
        if not isinstance(block, Paragraph):
            break
        text = block.text
        if not lines and _DOC_NUMBER.search(text):
            i += 1  # "附件1" or "虹安委办〔2024〕5号" above the title
            continue
        if len(text) > _MAX_TITLE_LINE or text[-1] in "。，,；;：:！？" or match_label(text) is not None:
            break
        lines.append(text)
        i += 1
    return lines, i


def _annex_start(blocks: list[Block], start: int) -> int:
    """Index of the first annex marker that follows some outline heading."""
    seen_heading = False
    for i in range(start, len(blocks)):
        block = blocks[i]
        if not isinstance(block, Paragraph):
            continue
        if match_label(block.text) is not None:
            seen_heading = True
        elif seen_heading and len(block.text) <= _MAX_ANNEX_LINE and ANNEX.match(block.text):
            return i
    return len(blocks)


# --- classifying parts --------------------------------------------------------------

TASK, ASSIGNMENT, GOAL, GENERAL, ORGANIZATION, PHASE, GUARANTEE, OTHER = (
    "task",
    "assignment",
    "goal",
    "general",
    "organization",
    "phase",
    "guarantee",
    "other",
)

_KINDS: list[tuple[str, re.Pattern]] = [
    (
        TASK,
        re.compile(
            r"(?:主要|重点|具体|工作|专项|攻坚|核心)(?:任务|工作|举措|措施)|任务(?:措施|举措|清单)"
            r"|(?:工作|主要|重点|整治|治理|行动)(?:内容|重点)"
        ),
    ),
    (ASSIGNMENT, re.compile(r"分工|任务安排")),
    (GOAL, re.compile(r"目标")),
    (GENERAL, re.compile(r"总体要求|指导思想|基本原则|工作原则|范围|依据|背景|意义")),
    (ORGANIZATION, re.compile(r"组织领导|组织机构|组织架构|领导小组|工作机构|工作机制|组织体系")),
    (PHASE, re.compile(r"阶段|步骤|进度|时间安排|工作安排|实施安排|时间节点")),
    (GUARANTEE, re.compile(r"保障|要求|纪律|考核|督导|督查|监督|附则")),
]


def classify(heading_title: str) -> str:
    """What a part is about, from its heading title ("主要任务" → task)."""
    for kind, pattern in _KINDS:
        if pattern.search(heading_title):
            return kind
    return OTHER


def task_parts(parts: list[Node]) -> tuple[list[Node], str | None]:
    """The parts whose items are tasks, and the kind of heading that chose them.

    Parts headed as tasks (主要任务, 重点任务, 重点工作, 工作任务 …) if there are
    any; otherwise parts headed as a division of work (任务分工); otherwise the
    parts with unrecognised headings (plans whose chapters are the actions,
    "三、强化源头治理").  ``([], None)`` when nothing qualifies.
    """
    by_kind: dict[str, list[Node]] = {}
    for part in parts:
        by_kind.setdefault(classify(part.title), []).append(part)
    for kind in (TASK, ASSIGNMENT, OTHER):
        if by_kind.get(kind):
            return by_kind[kind], kind
    return [], None


def task_leaves(part: Node, part_may_be_task: bool = False) -> list[tuple[Node, Node]]:
    """(task node, the node it sits under) for every task in a task part.

    The task is the deepest numbered level in use: under each section the
    arabic items (1. or, failing those, （1）); a section without items is a
    task itself; items directly under the part are tasks too.  A part with
    no numbered content is a task itself only when ``part_may_be_task`` (an
    action chapter such as "三、强化源头治理"); a "主要任务" part that only says
    "见附件" has no tasks of its own.  Nodes without any text are skipped.
    """
    leaves: list[tuple[Node, Node]] = []
    direct_items = [c for c in part.children if c.level >= ITEM]
    item_level = min((c.level for c in direct_items), default=None)
    for child in part.children:
        if child.level == SECTION and part.level < SECTION:
            items = [c for c in child.children if c.level >= ITEM]
            if items:
                level = min(c.level for c in items)
                leaves.extend((c, child) for c in items if c.level == level)
            else:
                leaves.append((child, part))
        elif child.level == item_level:
            leaves.append((child, part))
    if not leaves and part_may_be_task and part.level != ROOT and part.body_text():
        leaves.append((part, part))
    return [(node, under) for node, under in leaves if node.text()]


def implicit_part(root: Node) -> Node | None:
    """A plan with no 一、/（一） headings but numbered items: the root is the part."""
    if any(c.level >= ITEM for c in root.children):
        return root
    return None
