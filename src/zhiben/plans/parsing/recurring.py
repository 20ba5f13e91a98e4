"""Recurring duties: "每季度至少召开一次会议", "每月24日前报送", "双周查" …

Each duty becomes ``{"period", "every", "times", "due_day", "text"}``:

* ``period`` — ``week | month | quarter | half_year | year`` (and ``holiday``, below);
* ``every``  — how many periods apart (每两周 → 2, 双周/隔周 → 2, 每年 → 1;
  每隔N周 is read literally as N+1);
* frequencies without 每 count when a number of times follows the period:
  "至少半年组织1次", "一年两次", "半年一次", "两年一次" (every 2), "一季度一次";
  not after a year/ordinal/other qualifier ("2024年一季度", "第一季度", "三年行动",
  "全年", "近三年");
* ``times``  — occurrences per cycle from "至少N次/轮/遍/场", default 1;
* ``due_day`` — day of month from "每月24日前" / "每月5日向…报送", else None.

Optional extra keys, present only when the text says so:

* ``dates`` — fixed annual dates, "每年6月30日、12月31日前…" → ``["06-30", "12-31"]``
  (``times`` is then the number of dates; a day the month lacks, "6月0日" or
  "2月30日", ends the list); "每年年底前" → ``["12-31"]``;
* ``times_max`` — "每月开展1-2次" → times 1, times_max 2 (only above ``times``);
* ``at_period_end`` — "每月底前", "每季度末";
* ``weekday`` — "每周一召开" → 1 (Monday … 7 Sunday);
* ``ten_day_cycle`` — "每旬一次": the enum has no 旬, so it is written as
  period month with ``times`` ×3 and this flag;
* ``from_year`` — "2024年起，每年…" → 2024 (the start year is not a deadline).

Occasions: "逢节假日", "每逢重大节日", "重要节假日期间加强值守", "节假日前组织检查"
give ``period: "holiday"`` (``every`` 1, ``times`` from "至少N次", default 1):
once on every public holiday of the holiday calendar (data/holidays/), which
the compliance calendar (plans/schedule.py) does not schedule yet — plan
import skips such duties.  A list of sensitive times ("在节假日、重大活动和汛期等
敏感时段", "节假日和重大活动前") is not a schedule.

Not recurring: 每日/每天 (not in the period enum, and daily routines are not
trackable duties), "每一起事故" (每 without a period), "逐年", bare "年度",
and attributive uses "纳入每年各项工作计划".
"""

from __future__ import annotations

import re

from . import spans
from .numerals import CN_NUMERAL_CLASS, to_int

_PERIODS = {
    "周": "week",
    "星期": "week",
    "月": "month",
    "月度": "month",
    "个月": "month",
    "旬": "month",
    "季": "quarter",
    "季度": "quarter",
    "个季度": "quarter",
    "半年": "half_year",
    "半年度": "half_year",
    "年": "year",
    "年度": "year",
}

_N = rf"(?:\d{{1,2}}|{CN_NUMERAL_CLASS}{{1,3}})"

# The period phrase.  Longer unit spellings come first in each alternation.
_PERIOD = re.compile(
    rf"""
    (?:
        (?P<each>每|按)\s*(?P<gap>隔\s*)?(?:一(?=[个年月周季]))?
        (?P<n>{_N}(?=个|年|月|周|季|星期))?\s*
        (?P<unit>半年度|半年|个季度|季度|季|个月|月度|月|星期|周|旬|年度|年)
      | (?P<double>双|隔)(?P<dunit>周|月)
      | (?<![\d〇一二三四五六七八九十上下本今明去前当每按第年月全近多半个])
        (?P<bn>一|两|二|三)?(?P<bunit>半年|个季度|季度|个月|月|周|年)
        (?=\s*(?:至少|不少于|不低于|最少)?\s*(?:组织|开展|召开|举行|举办|进行|报送|检查|演练|更新)?\s*
            (?:至少|不少于|不低于|最少)?\s*{_N}\s*(?:次|轮|遍|场|回))
    )
    """,
    re.VERBOSE,
)
# Attributive use ("每年各项工作计划", "每月的例会") is not a duty.
_ATTRIBUTIVE = re.compile(r"\s*(?:的|各)")
# "按年/按月" only counts before a verb-ish continuation, not "按年龄".
_AN_BLOCKERS = re.compile(r"龄|份额|比例|计划")

_DUE_DAY = re.compile(r"\s*(?P<day>\d{1,2})\s*[日号]")
_PERIOD_END = re.compile(r"\s*(?:底|末)")
_WEEKDAY = re.compile(r"(?P<d>[一二三四五六日天])(?![次轮遍场回期])")
_ANNUAL_DATE = re.compile(r"\s*(?P<month>\d{1,2})\s*月\s*(?:(?P<day>\d{1,2})\s*[日号]|(?P<end>底|末))?")
_ANNUAL_SEP = re.compile(r"\s*[、和及,，]\s*(?=\d{1,2}\s*月)")
_YEAR_END = re.compile(r"\s*年(?:底|末)")

_COUNT = re.compile(rf"(?P<c>{_N})\s*(?:(?:-|~|～|至|到)\s*(?P<c2>{_N})\s*)?(?:次|轮|遍|场|回|期)(?!性)")
_COUNT_WINDOW = 40
_FROM_YEAR = re.compile(r"(20\d{2})\s*年\s*(?:起|开始)")
_FROM_YEAR_WINDOW = 80  # "2024年起，…每年…" sits close to its duty

_WEEKDAYS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}


def _month_end_day(month: int) -> int:
    return 29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31


def find_recurring(text: str, masked: str | None = None) -> list[dict]:
    """Every recurring duty in ``text``, in order of appearance."""
    masked = spans.mask_citations(text) if masked is None else masked
    matches = list(_PERIOD.finditer(masked))
    found: list[tuple[int, dict]] = []
    for index, m in enumerate(matches):
        if m.group("each") == "按" and _AN_BLOCKERS.match(masked, m.end()):
            continue
        if _ATTRIBUTIVE.match(masked, m.end()):
            continue
        unit = m.group("unit") or m.group("dunit") or m.group("bunit")
        duty: dict = {
            "period": _PERIODS[unit],
            "every": _every(m),
            "times": 1,
            "due_day": None,
        }
        pos = m.end()
        pos = _read_schedule(masked, pos, unit, duty)

        clause_start, clause_end = spans.clause_at(masked, m.start())
        limit = min(clause_end, pos + _COUNT_WINDOW)
        if index + 1 < len(matches):
            limit = min(limit, matches[index + 1].start())
        count = _COUNT.search(masked, pos, limit) if "dates" not in duty else None
        if count:
            duty["times"] = to_int(count.group("c")) or 1
            # "1-2次": a range; a reversed or empty range ("3-1次") says no more than its first number.
            if count.group("c2") and (to_int(count.group("c2")) or 0) > duty["times"]:
                duty["times_max"] = to_int(count.group("c2"))
        if unit == "旬":
            duty["times"] *= 3
            if "times_max" in duty:
                duty["times_max"] *= 3
            duty["ten_day_cycle"] = True

        sentence_start, _ = spans.sentence_at(masked, m.start())
        window_start = max(sentence_start, m.start() - _FROM_YEAR_WINDOW)
        start_year = list(_FROM_YEAR.finditer(masked, window_start, m.start()))
        if start_year:
            duty["from_year"] = int(start_year[-1].group(1))

        duty["text"] = spans.fragment(text, clause_start, clause_end, m.start())
        found.append((m.start(), _ordered(duty)))
    found.extend(_holiday_duties(text, masked))
    duties: list[dict] = []
    seen: set[tuple] = set()
    for _, duty in sorted(found, key=lambda item: item[0]):
        key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in duty.items())
        if key not in seen:  # the same sentence repeated verbatim is one duty
            seen.add(key)
            duties.append(duty)
    return duties


# "逢节假日开展检查", "每逢重大节日…", "重要节假日期间加强值守", "节假日前组织检查":
# an occasion, not a calendar period.  Not "节假日和重大活动前" / "在节假日、…" (a
# list of sensitive times, not a schedule).
_HOLIDAY = re.compile(
    r"(?:每\s*)?逢\s*(?:重大|重要|法定|传统)?(?:节假日|节日|假日|节庆)"
    r"|(?<![和、与及或])(?:重大|重要|法定|传统)?节假日(?:前|期间)"
    r"(?=\s*[，,]?\s*(?:要|应|须|必须|均)?\s*(?:组织|开展|召开|进行|加强|落实|实行|安排|部署|对|检查|巡查))"
)


def _holiday_duties(text: str, masked: str) -> list[tuple[int, dict]]:
    """Duties due on every public holiday (period "holiday", see the module docstring)."""
    out: list[tuple[int, dict]] = []
    for m in _HOLIDAY.finditer(masked):
        clause_start, clause_end = spans.clause_at(masked, m.start())
        duty: dict = {"period": "holiday", "every": 1, "times": 1, "due_day": None}
        count = _COUNT.search(masked, m.end(), min(clause_end, m.end() + _COUNT_WINDOW))
        if count:
            duty["times"] = to_int(count.group("c")) or 1
        duty["text"] = spans.fragment(text, clause_start, clause_end, m.start())
        out.append((m.start(), _ordered(duty)))
    return out


def _every(m: re.Match) -> int:
    """每两周 → 2; 双周/隔周 → 2; 每隔一周 → 2 (literal: one period skipped)."""
    if m.group("double"):
        return 2
    if m.group("bunit"):
        return to_int(m.group("bn")) or 1 if m.group("bn") else 1
    n = to_int(m.group("n")) if m.group("n") else 1
    return n + 1 if m.group("gap") else n


def _read_schedule(text: str, pos: int, unit: str, duty: dict) -> int:
    """Read what directly follows the period: a due day, fixed dates, a weekday."""
    period = _PERIODS[unit]
    if period == "month" and unit != "旬":
        due = _DUE_DAY.match(text, pos)
        if due and 1 <= int(due.group("day")) <= 31:
            duty["due_day"] = int(due.group("day"))
            return due.end()
    if period == "year":
        dates, end = _annual_dates(text, pos)
        if dates:
            duty["dates"] = dates
            duty["times"] = len(dates)
            return end
        year_end = _YEAR_END.match(text, pos)
        if year_end:
            duty["dates"] = ["12-31"]
            return year_end.end()
    if period in ("month", "quarter", "half_year", "year"):
        end = _PERIOD_END.match(text, pos)
        if end:
            duty["at_period_end"] = True
            return end.end()
    if period == "week":
        weekday = _WEEKDAY.match(text, pos)
        if weekday:
            duty["weekday"] = _WEEKDAYS[weekday.group("d")]
            return weekday.end()
    return pos


def _annual_dates(text: str, pos: int) -> tuple[list[str], int]:
    """ "6月30日、12月31日" / "6月底" right after 每年 → ["06-30", "12-31"]."""
    dates: list[str] = []
    while True:
        m = _ANNUAL_DATE.match(text, pos)
        if not m or not 1 <= int(m.group("month")) <= 12:
            break
        month = int(m.group("month"))
        if m.group("day"):
            day = int(m.group("day"))
            if not 1 <= day <= _month_end_day(month):  # "6月0日", "2月30日": not a date
                break
        else:  # "每年6月底…", "每年6月开展…": the whole month, due at its end
            day = _month_end_day(month)
        if f"{month:02d}-{day:02d}" not in dates:  # "1月31日、1月底" is one date
            dates.append(f"{month:02d}-{day:02d}")
        pos = m.end()
        sep = _ANNUAL_SEP.match(text, pos)
        if not sep:
            break
        pos = sep.end()
    return dates, pos


_KEY_ORDER = ("period", "every", "times", "due_day", "text")


def _ordered(duty: dict) -> dict:
    """Stable key order: the interface keys first, extras after."""
    out = {key: duty[key] for key in _KEY_ORDER}
    out.update({k: v for k, v in duty.items() if k not in out})
    return out


def duty_key(duty: dict) -> tuple:
    """What makes two duties the same schedule (ignoring their wording)."""
    return (
        duty["period"],
        duty["every"],
        duty["times"],
        duty["due_day"],
        tuple(duty.get("dates", ())),
        duty.get("weekday"),
        duty.get("at_period_end", False),
    )
