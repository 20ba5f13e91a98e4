"""The compliance calendar: the dated instances of a recurring duty over the
plan period (pure functions, no database).

Rules (docs/plans.md):

* fixed annual dates (``dates: ["06-30", "12-31"]``): each date each year;
* week: weeks start on Monday (the Monday on or before the plan start);
  ``every: 2`` (双周/每两周) makes 14-day periods; due on the period's last
  day, or on the named weekday (每周一 → Monday) for weekly duties;
* month: due on ``due_day`` (clamped to the month's length), else the last
  day of the month; ``ten_day_cycle`` (每旬) → the 10th, 20th and month end;
* quarter: the quarter's last day; half_year: 6-30 and 12-31;
* year: 12-31 (``times: 2`` with no dates → 6-30 and 12-31);
* holiday (逢节假日): one instance per public holiday of the transcribed
  holiday notices (data/holidays/, :mod:`zhiben.core.workdays`), due on the
  last working day before the holiday begins (the check or briefing is done
  before the days off); a year without a transcribed notice has none;
* ``every`` > 1 skips periods; ``from_year`` drops earlier years; only
  instances due within [start, end] are produced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from zhiben.core import workdays

from .models import clamp_day, month_end

QUARTER_NAMES = "一二三四"


@dataclass(frozen=True)
class Occurrence:
    label: str
    period_start: dt.date
    due_date: dt.date


def _months(start: dt.date, end: dt.date, step: int):
    year, month = start.year, start.month
    while dt.date(year, month, 1) <= end:
        yield year, month
        month += step
        while month > 12:
            month -= 12
            year += 1


def _fixed_dates(start: dt.date, end: dt.date, dates: list[str]) -> list[Occurrence]:
    out = []
    for year in range(start.year, end.year + 1):
        previous = dt.date(year, 1, 1)
        for md in sorted(dates):
            month, day = int(md[:2]), int(md[3:5])
            due = clamp_day(year, month, day)
            out.append(Occurrence(f"{year}年{month}月{day}日", previous, due))
            previous = due + dt.timedelta(days=1)
    return out


def _weeks(start: dt.date, end: dt.date, every: int, options: dict) -> list[Occurrence]:
    out = []
    step = dt.timedelta(days=7 * every)
    begin = start - dt.timedelta(days=start.weekday())
    weekday = options.get("weekday") if every == 1 else None
    name = "双周" if every == 2 else "周"
    while begin <= end:
        due = begin + dt.timedelta(days=weekday - 1) if weekday else begin + step - dt.timedelta(days=1)
        out.append(Occurrence(f"{begin:%Y-%m-%d}起{name}", begin, due))
        begin += step
    return out


def _month(year: int, month: int, due_day: int | None, ten_day_cycle: bool) -> list[Occurrence]:
    first = dt.date(year, month, 1)
    if ten_day_cycle:
        return [
            Occurrence(f"{year}年{month}月{name}", first, due)
            for name, due in (
                ("上旬", dt.date(year, month, 10)),
                ("中旬", dt.date(year, month, 20)),
                ("下旬", month_end(first)),
            )
        ]
    due = clamp_day(year, month, due_day) if due_day else month_end(first)
    return [Occurrence(f"{year}年{month}月", first, due)]


def _quarters(start: dt.date, end: dt.date, every: int) -> list[Occurrence]:
    first_quarter_month = (start.month - 1) // 3 * 3 + 1
    out = []
    for year, month in _months(dt.date(start.year, first_quarter_month, 1), end, 3 * every):
        first = dt.date(year, month, 1)
        label = f"{year}年第{QUARTER_NAMES[(month - 1) // 3]}季度"
        out.append(Occurrence(label, first, month_end(first.replace(month=month + 2))))
    return out


def _half_years(start: dt.date, end: dt.date) -> list[Occurrence]:
    out = []
    for year in range(start.year, end.year + 1):
        out.append(Occurrence(f"{year}年上半年", dt.date(year, 1, 1), dt.date(year, 6, 30)))
        out.append(Occurrence(f"{year}年下半年", dt.date(year, 7, 1), dt.date(year, 12, 31)))
    return out


def _holidays(start: dt.date, end: dt.date) -> list[Occurrence]:
    """One instance per holiday (a run of consecutive days off with one name)
    starting in [start, end], due on the last working day before it."""
    days = sorted(day for day in workdays.calendar().holidays if start <= day <= end)
    out: list[Occurrence] = []
    previous: dt.date | None = None
    for day in days:
        name = workdays.holiday_name(day) or "节假日"
        if previous is None or day - previous > dt.timedelta(days=1) or workdays.holiday_name(previous) != name:
            due = day - dt.timedelta(days=1)
            while not workdays.is_workday(due):
                due -= dt.timedelta(days=1)
            out.append(Occurrence(f"{day.year}年{name}", day, due))
        previous = day
    return out


def _candidates(
    period: str, start: dt.date, end: dt.date, every: int, times: int, due_day: int | None, dates, options: dict
) -> list[Occurrence]:
    """Every instance of the periods touching [start, end] (not yet filtered)."""
    if dates:
        return _fixed_dates(start, end, dates)
    if period == "week":
        return _weeks(start, end, every, options)
    if period == "month":
        ten_day_cycle = bool(options.get("ten_day_cycle"))
        return [o for year, month in _months(start, end, every) for o in _month(year, month, due_day, ten_day_cycle)]
    if period == "quarter":
        return _quarters(start, end, every)
    if period == "half_year" or (period == "year" and times == 2):
        return _half_years(start, end)
    if period == "holiday":
        return _holidays(start, end)
    if period == "year":
        return [
            Occurrence(f"{year}年", dt.date(year, 1, 1), dt.date(year, 12, 31))
            for year in range(start.year, end.year + 1, every)
        ]
    return []


def occurrences(
    *,
    period: str,
    start: dt.date,
    end: dt.date,
    every: int = 1,
    times: int = 1,
    due_day: int | None = None,
    dates: list[str] | None = None,
    options: dict | None = None,
) -> list[Occurrence]:
    options = options or {}
    every = max(every or 1, 1)
    out = _candidates(period, start, end, every, times, due_day, dates, options)
    from_year = options.get("from_year")
    return [o for o in out if start <= o.due_date <= end and (not from_year or o.due_date.year >= from_year)]
