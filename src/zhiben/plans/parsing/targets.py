"""Quantified targets: "至少完成30%", "线圈完好率达80%以上", "培树2-3家示范单位".

A target is ``{"value", "unit", "date", "text"}`` (+ ``value_max`` for a
range such as 2-3家).  Two shapes are recognised:

* a percentage anywhere (``30%``, ``百分之三十``, ``80%-90%``): unit "%";
* a count after a verb of building/creating (培树, 打造, 建成, 创建, 培育, 完成, 新增 …)
  with a classifier such as 家/个/所/处/项/条/座/台/套/支/名/人次:
  "培树2-3家" → value 2, value_max 3, unit "家".  Counts of occurrences
  (次/轮/遍/场) are recurring duties, not targets; a bare "30家企事业单位"
  after a preposition is a scope, not a target; "一个"/"一批" is an article.

The date is the deadline whose segment holds the target (see
:func:`dates.deadline_segments`), else None.  The text is that segment, or
the comma clause around the target when it has no date.
"""

from __future__ import annotations

import bisect
import re

from . import spans
from .dates import Deadline
from .numerals import CN_NUMERAL_CLASS, to_int

_NUMBER = rf"(?:\d+(?:\.\d+)?|{CN_NUMERAL_CLASS}{{1,4}})"
_PERCENT = re.compile(
    rf"(?:(?P<v>\d+(?:\.\d+)?)\s*%?\s*(?:-|~|～|至|到)\s*)?(?P<v2>\d+(?:\.\d+)?)\s*%"
    rf"|百分之(?P<cn>{CN_NUMERAL_CLASS}{{1,4}}|\d+)"
)
_TARGET_VERB = r"培树|培育|打造|建成|建设|创建|选树|树立|推出|评选|遴选|命名|新建|新增|改造|安装|完成|实现|达到|建立|设立|增设|培训|整治|治理"
_COUNT = re.compile(
    rf"(?:{_TARGET_VERB})(?:[^，,。；;：:\d{CN_NUMERAL_CLASS[1:-1]}]{{0,6}}?)"
    rf"(?P<v>{_NUMBER})\s*(?:(?:-|~|～|至|到)\s*(?P<v2>{_NUMBER})\s*)?"
    r"(?P<unit>人次|家|个|所|处|项|条|座|台|套|支|名|件|辆|户|栋|幢|公里|千米|米)"
)


def _number(token: str | None) -> int | float | None:
    if token is None:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        value = float(token)
        return int(value) if value.is_integer() else value
    return to_int(token)


def find_targets(text: str, deadlines: list[Deadline], masked: str | None = None) -> list[dict]:
    """Targets in ``text``; ``deadlines`` are that text's deadline segments."""
    masked = spans.mask_citations(text) if masked is None else masked
    deadlines = sorted(deadlines, key=lambda d: d.start)
    found: list[tuple[int, dict]] = []
    for m in _PERCENT.finditer(masked):
        if m.group("cn"):
            value, value_max = _number(m.group("cn")), None
        elif m.group("v"):
            value, value_max = _number(m.group("v")), _number(m.group("v2"))
        else:
            value, value_max = _number(m.group("v2")), None
        found.append((m.start(), _target(text, m, value, value_max, "%", deadlines)))
    for m in _COUNT.finditer(masked):
        value = _number(m.group("v"))
        if value is None or m.group("v") == "一":
            continue  # "建立一个机制", "培树一批": an article, not a quantity
        found.append((m.start("v"), _target(text, m, value, _number(m.group("v2")), m.group("unit"), deadlines)))
    return [t for _pos, t in sorted(found, key=lambda x: x[0])]


def _owner(deadlines: list[Deadline], pos: int) -> Deadline | None:
    """The deadline whose segment holds ``pos`` (segments are sorted and disjoint)."""
    k = bisect.bisect_right([d.start for d in deadlines], pos) - 1
    if k >= 0 and deadlines[k].start <= pos < deadlines[k].end:
        return deadlines[k]
    return None


def _target(text: str, m: re.Match, value, value_max, unit: str, deadlines: list[Deadline]) -> dict:
    owner = _owner(deadlines, m.start())
    if owner is not None:
        date, fragment = owner.date.isoformat(), owner.text
    else:
        start, end = spans.clause_at(text, m.start())
        date, fragment = None, spans.fragment(text, start, end, m.start())
    target: dict = {"value": value, "unit": unit, "date": date, "text": fragment}
    if value_max is not None and value_max != value:
        target["value_max"] = value_max
    return target
