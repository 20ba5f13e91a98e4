"""Deadlines written the way Chinese plans write them.

Every date resolves to the *last* day of the period it names, because a plan
date is a deadline ("by then"):

* ``2024年底前`` / ``到2024年底`` / ``2024年末`` / ``2024年内`` → 2024-12-31
* yearly milestones ``2024年，…`` / ``2024年完成…`` / ``力争2026年实现…`` → 12-31 of that year
* ``2024年3月底前`` / ``2024年4月`` → the end of that month
* malformed ``2026年12底前`` (月 missing) → 2026-12-31
* ``于2025年6月30日前`` → 2025-06-30
* ranges ``2025年至2026年`` / ``2025-2026年`` → 2026-12-31; ``2024年5月至7月`` → 2024-07-31
* ``即日起至2025年12月底`` → 2025-12-31
* ``2024年上半年`` → 06-30, ``下半年`` → 12-31, ``2024年一季度`` → 03-31
* ``2024年6月上旬/中旬/下旬`` → 06-10 / 06-20 / 06-30
* a month without a year after a dated clause of the same sentence inherits
  its year: ``2024年3月底前完成排查，6月底前完成整改`` → 03-31, 06-30; so does
  ``年底前``/``年内``: ``2024年6月底前完成排查，年底前完成整改`` → 06-30, 12-31
  (without a dated clause before it in the sentence, a bare 年底前 is not dated);
* ``2024年，6月底前完成…`` is one date, 2024-06-30 (the year only gives the
  month its year)

**"X前" reading.**  ``2025年6月前`` and ``2024年前`` are read *inclusively*,
as the end of the named month/year (2025-06-30, 2024-12-31), exactly like
``6月底前``.  Plans use "6月前" as shorthand for "6月底前"; the literal
reading ("before June" → 05-31) would also make ``2024年前`` in a 2024 plan a
date in the past, which no plan means.

**Not deadlines** (return nothing):

* starts and baselines: ``2024年起`` / ``2024年开始`` / ``2024年以来`` /
  ``2024年以后`` / ``自2024年`` / ``较2023年`` / ``截至2023年底``;
* qualifiers of a noun: ``2023年及以前排查发现的隐患``,
  ``2023年前排查发现的…``, ``2024年的工作``;
* ``2024年度`` (a reporting year, not a due date);
* a range of whole years naming the campaign's period: ``（2024—2026年）``,
  ``在2024-2026年期间``, ``2024—2026年三年行动``, ``2024-2026年的…`` (a range
  opening a step, ``2025-2026年，总结经验…``, still gives that step's deadline);
* dates inside cited titles 《…（2024—2026年）》 or doc numbers 〔2023〕
  (callers pass a masked text, see :func:`spans.mask_citations`);
* recurring dates (``每年6月30日``) — those belong to :mod:`recurring`.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from dataclasses import dataclass

from . import spans
from .numerals import to_int


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    date: dt.date


@dataclass(frozen=True)
class Deadline:
    date: dt.date
    text: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return {"date": self.date.isoformat(), "text": self.text}


# A point in time that starts with a year: 2024年 / 2024年3月 / 2024年3月31日 /
# 2024年底 / 2024年上半年 / 2024年一季度 / malformed 2026年12底.
_POINT = re.compile(
    r"""
    (?P<year>20\d{2})\s*年
    (?:
        \s*(?P<month>\d{1,2})\s*(?:月(?:\s*(?P<day>\d{1,2})\s*[日号])?|(?=[底末]))
      | (?P<half>[上下])半年
      | 第?(?P<quarter>[一二三四1-4])季度
    )?
    (?P<part>年底|年末|年内|度内|度底|度末|底|末|份|内|全年|[上中下]旬)?
    """,
    re.VERBOSE,
)

# The second half of a range: "至2026年8月", "至7月", "-2026年".
_RANGE_TAIL = re.compile(
    r"""
    \s*(?:至|到|-|—|–|~)\s*
    (?:(?P<year>20\d{2})\s*年)?
    (?:(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*[日号])?)?
    (?P<part>年底|年末|底|末|份|[上中下]旬)?
    """,
    re.VERBOSE,
)

# A month without a year that inherits the year of an earlier date in the same
# sentence ("2024年3月底前…，6月底前…").  Not after 每年/每 (recurring) and
# not glued to a digit or 年/月 (already part of another date).
_YEARLESS = re.compile(
    r"(?<![\d年月每])(?P<month>\d{1,2})\s*月"
    r"(?:\s*(?P<day>\d{1,2})\s*[日号])?(?P<part>底|末|[上中下]旬)?(?P<before>前|之前|以前)?"
)

_BEFORE = re.compile(r"\s*(?:以前|之前|前|为止|止)")
# After the date: it is a start, an "and earlier" qualifier or a reporting year.
_NOT_A_DEADLINE_AFTER = re.compile(r"\s*(?:起|以来|开始|及以前|及之前|及以后|以后|之后|后(?!续)|度)")
# Before the date: a baseline or a status date.
_NOT_A_DEADLINE_BEFORE = re.compile(r"(?:较|比|截至|截止到|自|从|以|同比|对比|相比|每)\s*$")
# A bare year followed by one of these is part of a list or a noun phrase.
_BARE_YEAR_STOP = re.compile(r"\s*(?:的|、|和|与|及|同期)")
# A start year written without 年 just before a range: the "2025" of "2025-2026年".
_RANGE_HEAD = re.compile(r"20\d{2}\s*年?\s*(?:至|到|-|—|–|~)\s*$")
# Verbs that make "2024年前…的…" a deadline sentence, not a noun qualifier.
_COMPLETION_VERB = re.compile(
    r"\s*[，,：:]?\s*(?:要|须|力争|确保|基本|全面|全部|完成|建立|建成|实现|形成|出台|制定|印发|启动|做好|落实|开展|组织|推动|推进|健全|完善)"
)
_CLAUSE_STOP = re.compile(r"[，,。；;：:\n]")
# A range of whole years that names the campaign's period, not a step's deadline:
# "（2024—2026年）", "在2024-2026年期间", "2024—2026年三年行动", "2024—2026年的…".
_PERIOD_OPEN = re.compile(r"[（(]\s*$")
_PERIOD_AFTER = re.compile(r"\s*(?:[）)]|期间|间|内|[一二三两四五]年|三年行动|行动|的|治本攻坚)")
# "2024年，6月底前…": a bare year that only gives the year of the month after it.
_YEAR_THEN_MONTH = re.compile(
    r"\s*[，,：:]?\s*(?:于|在|到)?\s*(?P<month>\d{1,2})\s*月(?:\s*(?P<day>\d{1,2})\s*[日号])?(?P<part>底|末|[上中下]旬)?"
    r"(?=\s*(?:前|之前|以前|完成|底前))"
)
# "年底前" / "年内" without a year, after a dated clause of the same sentence.
_YEARLESS_YEAR_END = re.compile(
    r"(?<![\d〇一二三四五六七八九十两几每当今明去本上下半全近多])(?:年底|年末|年内)(?P<before>前|之前|以前)?"
)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _resolve(year: int, month: int | None, day: int | None, part: str | None) -> dt.date | None:
    """The last day of the period named by year/month/day/part (None if invalid)."""
    try:
        if month is None:
            return dt.date(year, 12, 31)
        if not 1 <= month <= 12:
            return None
        if day is not None:
            return dt.date(year, month, day)
        if part in ("上旬", "中旬"):
            return dt.date(year, month, 10 if part == "上旬" else 20)
        return _month_end(year, month)
    except ValueError:
        return None


def _modifies_noun(text: str, pos: int) -> bool:
    """True if the date at ``pos`` qualifies a noun: "2023年前排查发现的隐患"."""
    if _COMPLETION_VERB.match(text, pos):
        return False
    window = text[pos : pos + 10]
    stop = _CLAUSE_STOP.search(window)
    return "的" in (window[: stop.start()] if stop else window)


def _point_date(m: re.Match) -> dt.date | None:
    year = int(m.group("year"))
    if m.group("half"):
        return dt.date(year, 6, 30) if m.group("half") == "上" else dt.date(year, 12, 31)
    if m.group("quarter"):
        quarter = to_int(m.group("quarter")) or 4
        return _month_end(year, quarter * 3)
    month = int(m.group("month")) if m.group("month") else None
    day = int(m.group("day")) if m.group("day") else None
    return _resolve(year, month, day, m.group("part"))


def find_dates(text: str) -> list[DateMention]:
    """All deadline mentions in ``text`` (pass a citation-masked text).

    See the module docstring for what counts and how it resolves.
    """
    mentions: list[DateMention] = []
    consumed = 0
    for m in _POINT.finditer(text):
        if m.start() < consumed:
            continue
        start, end = _mention_start(text, m), m.end()
        if start is None:
            consumed = end
            continue
        date = _point_date(m)
        has_detail = not _is_bare_year(m)

        tail = _RANGE_TAIL.match(text, end)
        if tail and _names_a_period(text, start, m, tail):
            consumed = tail.end()
            continue
        if tail and (tail.group("year") or tail.group("month")):
            year = int(tail.group("year") or m.group("year"))
            month = int(tail.group("month")) if tail.group("month") else None
            day = int(tail.group("day")) if tail.group("day") else None
            date = _resolve(year, month, day, tail.group("part"))
            end = tail.end()
            has_detail = True
        consumed = end
        if date is None:
            continue
        if _NOT_A_DEADLINE_AFTER.match(text, end) and not m.group("part"):
            continue
        before = _BEFORE.match(text, end)
        if before:
            end = before.end()
            if not m.group("part") and _modifies_noun(text, end):
                continue
        elif not has_detail:
            month_after = _month_after_year(text, end, date.year)
            if month_after is not None:  # "2024年，6月底前": one date, 2024-06-30
                date, end = month_after
                consumed = end
                if date is None:
                    continue
            elif _BARE_YEAR_STOP.match(text, end) or _modifies_noun(text, end):
                continue
        mentions.append(DateMention(start, end, date))
        consumed = end
    return _with_yearless_months(text, mentions)


def _mention_start(text: str, m: re.Match) -> int | None:
    """Where a date mention starts ("2025-" of "2025-2026年" included); None
    when it is no deadline (a baseline "较2023年", a period "（2024—2026年）")."""
    start = m.start()
    head = _RANGE_HEAD.search(text, max(0, start - 12), start)
    if head is not None:
        return None if _is_bare_year(m) and _period_context(text, head.start(), m.end()) else head.start()
    if _NOT_A_DEADLINE_BEFORE.search(text, max(0, start - 4), start):
        return None
    return start


def _month_after_year(text: str, pos: int, year: int) -> tuple[dt.date | None, int] | None:
    """(date, end) of "，6月底前" right after a bare year, else None."""
    m = _YEAR_THEN_MONTH.match(text, pos)
    if m is None:
        return None
    day = int(m.group("day")) if m.group("day") else None
    before = _BEFORE.match(text, m.end())
    return _resolve(year, int(m.group("month")), day, m.group("part")), before.end() if before else m.end()


def _names_a_period(text: str, start: int, m: re.Match, tail: re.Match) -> bool:
    """A whole-year range in brackets or before 期间/三年行动/的 …: the campaign's period."""
    if not tail.group("year") or tail.group("month") or tail.group("part") or not _is_bare_year(m):
        return False
    return _period_context(text, start, tail.end())


def _is_bare_year(m: re.Match) -> bool:
    return not (m.group("month") or m.group("half") or m.group("quarter") or m.group("part"))


def _period_context(text: str, start: int, end: int) -> bool:
    return bool(_PERIOD_OPEN.search(text, max(0, start - 2), start) or _PERIOD_AFTER.match(text, end))


def _with_yearless_months(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """Add "6月底前" mentions that inherit the year of an earlier date in the sentence."""
    if not mentions:
        return mentions
    extra: list[DateMention] = []
    starts = [d.start for d in mentions]
    done_until = 0
    for d in mentions:
        s_start, s_end = spans.sentence_at(text, d.start)
        begin = max(d.end, done_until)
        done_until = s_end
        for m in _YEARLESS.finditer(text, begin, s_end):
            k = bisect.bisect_right(starts, m.start()) - 1  # the mention before this month
            owner = mentions[k]
            if owner.end > m.start() or owner.start < s_start:
                continue  # inside a full date, or no dated mention earlier in this sentence
            if not (m.group("day") or m.group("part") or m.group("before")):
                continue
            month = int(m.group("month"))
            day = int(m.group("day")) if m.group("day") else None
            date = _resolve(owner.date.year, month, day, m.group("part"))
            if date is not None:
                extra.append(DateMention(m.start(), m.end(), date))
        for m in _YEARLESS_YEAR_END.finditer(text, begin, s_end):
            k = bisect.bisect_right(starts, m.start()) - 1
            owner = mentions[k]
            if owner.end > m.start() or owner.start < s_start:
                continue
            extra.append(DateMention(m.start(), m.end(), dt.date(owner.date.year, 12, 31)))
    return sorted(mentions + extra, key=lambda x: x.start)


def deadline_segments(text: str, masked: str | None = None) -> list[Deadline]:
    """Deadlines of a text, each with the stretch of text it governs.

    A date's segment starts at the clause (comma level) that holds it and
    runs to where the next date's segment starts, or to the sentence end.
    So "…，对全量隐患力争于2024年底前至少完成30%治理目标，2025年底前至少完成70%…"
    gives "对全量隐患力争于2024年底前至少完成30%治理目标" and "2025年底前至少完成70%…".
    A sentence's first segment with almost nothing besides the date
    ("到2026年12底前完成") also takes the clause before it ("治本攻坚三年行动分为四个阶段，到2026年12底前完成").
    """
    masked = spans.mask_citations(text) if masked is None else masked
    mentions = find_dates(masked)
    result: list[Deadline] = []
    by_sentence: dict[tuple[int, int], list[DateMention]] = {}
    for mention in mentions:
        by_sentence.setdefault(spans.sentence_at(masked, mention.start), []).append(mention)
    for (s_start, s_end), group in by_sentence.items():
        starts = []
        floor = s_start
        for i, mention in enumerate(group):
            starts.append(_segment_start(masked, floor, mention.start, after_date=i > 0))
            floor = mention.end
        for i, mention in enumerate(group):
            seg_end = starts[i + 1] if i + 1 < len(group) else s_end
            seg_start = starts[i]
            thin = len(spans.tidy(masked[seg_start:seg_end])) - (mention.end - mention.start) < _THIN_SEGMENT
            if thin and i == 0 and seg_start > s_start:
                seg_start = spans.clause_at(masked, seg_start - 1)[0]
            quoted = spans.fragment(text, seg_start, seg_end, mention.start)
            result.append(Deadline(mention.date, quoted, seg_start, seg_end))
    return result


#: A segment with fewer characters than this besides its date borrows the clause before.
_THIN_SEGMENT = 6


def _segment_start(text: str, floor: int, date_start: int, after_date: bool) -> int:
    """Start of the clause holding a date, not before ``floor``.

    ``floor`` is the sentence start, or the end of the previous date of the
    same sentence (``after_date``).  A separator right after that previous
    date ("2024年：…") belongs to it, so if there is no other separator before
    this date ("2024年：…工作2025年：…") the segment starts at the date itself.
    """
    cut = max(text.rfind(sep, floor, date_start) for sep in spans.CLAUSE_SEPARATORS)
    if after_date and (cut < 0 or not spans.tidy(text[floor:cut])):
        return date_start
    return cut + 1 if cut >= 0 else floor


def extract_deadlines(text: str) -> list[dict]:
    """``[{"date": "YYYY-MM-DD", "text": …}]`` for every deadline in ``text``."""
    seen: set[tuple[str, str]] = set()
    out = []
    for d in deadline_segments(text):
        key = (d.date.isoformat(), d.text)
        if key not in seen:
            seen.add(key)
            out.append(d.as_dict())
    return out


# --- the plan period ------------------------------------------------------------------

_PERIOD_RANGE = re.compile(r"(?P<y1>20\d{2})\s*年?\s*(?:至|到|-|—|–|~)\s*(?P<y2>20\d{2})\s*年?")
_SINGLE_YEAR = re.compile(r"(?P<y>20\d{2})\s*年")


def plan_period(title: str, fallback_text: str = "") -> dict:
    """``{"start", "end"}`` from "（2024-2026年）" in the title.

    A title with a single year ("2024年…工作要点") covers that year.  When the
    title has none, a year range in ``fallback_text`` (citations masked) is
    used.  Unknown → both None.
    """
    for source in (title, spans.mask_citations(fallback_text)):
        m = _PERIOD_RANGE.search(source)
        if m and int(m.group("y1")) <= int(m.group("y2")):
            return {"start": f"{m.group('y1')}-01-01", "end": f"{m.group('y2')}-12-31"}
        if source is title:
            single = _SINGLE_YEAR.search(title)
            if single:
                return {"start": f"{single.group('y')}-01-01", "end": f"{single.group('y')}-12-31"}
    return {"start": None, "end": None}
