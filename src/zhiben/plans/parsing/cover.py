"""A cover notice (印发通知) in front of the plan.

Plans are often sent as one document: the issuing notice, then the plan::

    上海市虹口区卫生健康委员会文件            ← letterhead, document number
    虹卫〔2024〕12号
    关于印发《…三年行动方案（2024-2026年）》的通知
    各医疗卫生单位、委机关各科室：            ← addressees
    现将《…》印发给你们…请于6月30日前报送…，每季度报送一次工作进展。
    上海市虹口区卫生健康委员会                ← signature and date
    2024年5月10日
    （此件公开发布）
    虹口区卫生健康系统…三年行动方案（…）      ← the plan itself

The notice is found by its heading "关于印发《X》的通知" (also 转发/下发, the
heading possibly wrapped over up to three lines) among the first lines.  Then:

* the plan's title is X;
* the plan starts at the repeated title, else after the signature date (and
  the "（此件公开发布）"/抄送 lines after it), else right after the heading;
* the notice's body (between the addressees and the signature) is kept apart:
  its dated instructions ("请于2024年6月30日前报送…") become plan-level goals and
  its reporting frequencies ("每季度报送一次进展") plan-level recurring duties;
  the signature date is neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .blocks import Block, Paragraph

_HEADING = re.compile(
    r"关于(?:印发|转发|下发|印送|发布)[^《]{0,10}《(?P<title>[^《》]{4,80})》(?:的)?(?:通知|函)[。.]?$"
)
_HEAD_LINES = 10  # the heading is among the first lines
_MAX_HEADING_PARTS = 3
_NOTICE_LINES = 40  # a notice is short
_DATE_LINE = re.compile(
    r"^(?:20\d{2}|二〇[〇一二三四五六七八九]{2})\s*年\s*[\d〇一二三四五六七八九十]{1,3}\s*月\s*[\d〇一二三四五六七八九十]{1,3}\s*日$"
)
_TRAILER = re.compile(r"^[（(].{0,20}[）)]$|^(?:抄送|抄报|印发|联系人|联系电话)[：:]|印发$")
_ADDRESSEES = re.compile(r"[：:]$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Cover:
    title: str
    #: The notice's body paragraphs (no letterhead, heading, addressees, signature or date).
    body: list[str]


def split_cover(blocks: list[Block]) -> tuple[Cover | None, list[Block]]:
    """The cover notice and the plan's blocks (all blocks when there is none)."""
    found = _heading(blocks)
    if found is None:
        return None, blocks
    title, after = found
    start, body_end = _plan_start(blocks, after, title)
    body = [
        b.text
        for b in blocks[after:body_end]
        if isinstance(b, Paragraph) and not _DATE_LINE.match(_compact(b.text)) and not _TRAILER.search(b.text)
    ]
    if body and _ADDRESSEES.search(body[0]):
        body = body[1:]
    return Cover(title=title, body=body), blocks[start:]


def _compact(text: str) -> str:
    return _SPACES.sub("", text)


def _heading(blocks: list[Block]) -> tuple[str, int] | None:
    """(title, index after the heading) of a 关于印发《…》的通知 heading."""
    head = blocks[:_HEAD_LINES]
    for i, block in enumerate(head):
        if not isinstance(block, Paragraph):
            return None
        text = ""
        for j in range(i, min(i + _MAX_HEADING_PARTS, len(blocks))):
            part = blocks[j]
            if not isinstance(part, Paragraph):
                break
            text += _compact(part.text)
            match = _HEADING.search(text)
            if match:
                return match.group("title"), j + 1
    return None


def _plan_start(blocks: list[Block], after: int, title: str) -> tuple[int, int]:
    """(index where the plan starts, index where the notice's body ends)."""
    wanted = _compact(title)
    dated_end: int | None = None
    limit = min(len(blocks), after + _NOTICE_LINES)
    for i in range(after, limit):
        block = blocks[i]
        if not isinstance(block, Paragraph):
            break
        text = _compact(block.text)
        if len(text) >= 6 and (wanted.startswith(text) or text.startswith(wanted)):
            return i, dated_end if dated_end is not None else i
        if _DATE_LINE.match(text):
            dated_end = i
            continue
        if dated_end is not None and not _TRAILER.search(text):
            return i, dated_end
    if dated_end is not None:
        return dated_end + 1, dated_end
    return after, after
