"""Plan-document parser: a 行动方案 (.txt, .docx, .pdf, .html) → a JSON-ready dict.

Public API::

    parse_plan_bytes(data, filename="") -> dict   # format detected from content
    parse_plan_file(path) -> dict
    parse_plan_text(text) -> dict
    PlanParseError                                # ValueError, Chinese message

Pure Python, no Django.  Layout of the work:

* input — :mod:`.decoding` (bytes → text/docx/pdf/html, encodings, binary refusal),
  :mod:`.docx_reader` (paragraphs, tables, merged cells, auto-numbering),
  :mod:`.pdf_reader` (text layer, lines → paragraphs), :mod:`.html_reader`
  (saved web page → the article's paragraphs and tables),
  :mod:`.textnorm`, :mod:`.blocks` (paragraph/table blocks, tab-layout tables);
* cover — :mod:`.cover` (a 关于印发《…》的通知 in front of the plan);
* outline — :mod:`.structure` (labels, parts, sections, items, repairs,
  part classification, which nodes are tasks);
* rules — :mod:`.dates`, :mod:`.recurring`, :mod:`.units`, :mod:`.targets`,
  :mod:`.leading_group`, :mod:`.task_tables`; helpers :mod:`.spans`,
  :mod:`.numerals`;
* assembly — :mod:`.parser`.

Decisions where the brief was silent (each documented and tested where the
rule lives):

* "2025年6月前" / "2024年前" mean the *end* of that month/year (inclusive
  reading, like "6月底前") — :mod:`.dates`.
* Task-breakdown tables (e.g. the ecology plan's 附件1) are merged into the
  prose task with the same number and a similar title (units table-first,
  plus the 完成时间 cells' deadlines/duties the prose lacks); unmatched rows
  become tasks of their own — :mod:`.task_tables`.
* Task parts: headings naming tasks (主要/重点/工作任务, 重点工作, 具体措施 …);
  if none, a 任务分工 part; if none, chapters with unrecognised headings (the
  actions themselves).  Only top-level headings decide.
* Dated statements outside tasks (goals, 任务分工, 工作阶段 windows) are
  ``goals``; recurring duties there are plan-level ``recurring``.  Annexes
  other than task tables (report forms) are not read for duties.
* A unit that leads in any sentence of a task is not also listed as
  participating; "配合X"/"会同X" make X participating (as the brief says).
* 组员/成员单位/领导小组成员 are reported as role "成员".
* "每旬" → period month, times ×3, ``ten_day_cycle``; 每日 is not a duty.
* A missing label ("（一）" absent, "（二）" skipped) is reconstructed from the
  paragraph before the next label, unless that paragraph is a lead-in.
* ``task.text`` is the item without its own label; ``task.title`` is the text
  up to its first 。.
* Task tables typed as text (tabs, pipes, columns aligned with runs of
  spaces or full-width spaces, wrapped cells) become the same ``Table``
  blocks as a .docx table, so they give the same tasks — :mod:`.blocks`;
  a header with 牵头单位, 责任单位 and 配合单位 reads the last two as
  participating — :mod:`.task_tables`.
* "逢节假日"-style occasions are duties with period ``holiday`` (the
  compliance calendar does not schedule them yet) — :mod:`.recurring`.
* ``source.sha256`` is over the canonical text (one line per paragraph, one
  line per table row), so a .docx and its text export have the same hash.
"""

from __future__ import annotations

import os

from .blocks import blocks_from_text
from .decoding import load_blocks
from .errors import PlanParseError
from .parser import parse_blocks
from .textnorm import normalize_text

__all__ = ["PlanParseError", "parse_plan_bytes", "parse_plan_file", "parse_plan_text"]


def parse_plan_text(text: str) -> dict:
    """Parse a plan given as text (already decoded)."""
    if not isinstance(text, str):
        raise TypeError("parse_plan_text expects str; use parse_plan_bytes for bytes")
    if not text.strip():
        raise PlanParseError("文件为空")
    if "\x00" in text:
        raise PlanParseError("无法识别的文件内容：文本中含有二进制字符")
    return parse_blocks(blocks_from_text(normalize_text(text)))


def parse_plan_bytes(data: bytes, filename: str = "") -> dict:
    """Parse an uploaded file: .txt (UTF-8 with/without BOM, GB18030), .docx,
    .pdf with a text layer, or a saved web page (.html/.htm).

    The format is detected from the content; ``filename`` only helps to tell
    a web page that does not start with ``<html>``/``<!DOCTYPE html>``.
    """
    return parse_blocks(load_blocks(bytes(data), filename))


def parse_plan_file(path: str | os.PathLike) -> dict:
    """Parse a plan file from disk."""
    with open(path, "rb") as handle:
        data = handle.read()
    return parse_plan_bytes(data, os.fspath(path))
