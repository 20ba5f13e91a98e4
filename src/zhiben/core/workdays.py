"""Working days in mainland China: weekends, public holidays and 调休.

Every deadline counted in working days (a tip's 3 个工作日 reply, …) uses this
module. The calendar is data: ``data/holidays/<year>.yaml`` transcribes the
State Council's yearly notice (国务院办公厅关于<year>年部分节假日安排的通知):

* ``holidays``: the days off (``from``/``to``, weekends inside a holiday included);
* ``workdays``: the weekends worked instead (调休上班).

A year without a file counts Monday to Friday only; :func:`covers` tells whether
a day's year is transcribed, and ``zhiben check``-style tooling (and
docs/operations.md) remind the operator to add the next year's file when the
notice is published (usually in November).

The files are checked when loaded: a day may not be both a holiday and a
workday, a 调休 workday must fall on a weekend, dates must lie in the file's
year. A broken file raises :class:`HolidayDataError` naming the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_DAYS = 3660
"""The furthest :func:`add_workdays` counts (about ten years), so that a wrong
argument cannot loop for long."""


class HolidayDataError(ImproperlyConfigured):
    """A file under data/holidays/ is malformed."""


@dataclass(frozen=True)
class Calendar:
    holidays: dict[dt.date, str] = field(default_factory=dict)  # day -> holiday name
    workdays: frozenset[dt.date] = frozenset()
    years: frozenset[int] = frozenset()


def _day(value, where: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise HolidayDataError(f"{where}: 无法识别的日期 {value!r}") from None


def _load_file(path: Path) -> tuple[int, dict[dt.date, str], set[dt.date]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise HolidayDataError(f"{path.name}: 无法读取（{exc}）") from None
    year = data.get("year")
    if not isinstance(year, int):
        raise HolidayDataError(f"{path.name}: 缺少 year")
    holidays: dict[dt.date, str] = {}
    for entry in data.get("holidays") or []:
        start, end = _day(entry.get("from"), path.name), _day(entry.get("to"), path.name)
        if end < start or (end - start).days > 31:
            raise HolidayDataError(f"{path.name}: {entry.get('name')} 的起止日期不合理")
        day = start
        while day <= end:
            holidays[day] = str(entry.get("name") or "节假日")
            day += dt.timedelta(days=1)
    workdays = {_day(value, path.name) for value in data.get("workdays") or []}
    for day in [*holidays, *workdays]:
        if day.year != year:
            raise HolidayDataError(f"{path.name}: {day} 不在 {year} 年")
    for day in workdays:
        if day in holidays:
            raise HolidayDataError(f"{path.name}: {day} 既是假日又是调休工作日")
        if day.weekday() < 5:
            raise HolidayDataError(f"{path.name}: 调休工作日 {day} 不是周末")
    return year, holidays, workdays


def holidays_dir() -> Path:
    return Path(getattr(settings, "ZHIBEN_HOLIDAYS_DIR", None) or Path(settings.DATA_DIR) / "holidays")


@cache
def calendar() -> Calendar:
    """The calendar from data/holidays/ (read once per process; tests may
    call ``calendar.cache_clear()`` after changing the setting)."""
    holidays: dict[dt.date, str] = {}
    workdays: set[dt.date] = set()
    years: set[int] = set()
    folder = holidays_dir()
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        year, days_off, extra = _load_file(path)
        if year in years:
            raise HolidayDataError(f"{path.name}: {year} 年重复")
        years.add(year)
        holidays.update(days_off)
        workdays |= extra
    return Calendar(holidays, frozenset(workdays), frozenset(years))


def covers(day: dt.date) -> bool:
    """Whether ``day``'s year has a transcribed holiday notice."""
    return day.year in calendar().years


def holiday_name(day: dt.date) -> str | None:
    return calendar().holidays.get(day)


def is_workday(day: dt.date) -> bool:
    cal = calendar()
    if day in cal.workdays:
        return True
    if day in cal.holidays:
        return False
    return day.weekday() < 5


def add_workdays(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself does not
    count: a tip received on Friday with 3 working days is due on Wednesday,
    later when holidays intervene). ``days`` ≤ 0 gives ``start``."""
    current = start
    remaining = days
    limit = start + dt.timedelta(days=MAX_DAYS)
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current > limit:
            raise ValueError(f"{days} working days after {start} is beyond the calendar's range")
        if is_workday(current):
            remaining -= 1
    return current


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    if (end - start).days > MAX_DAYS:
        raise ValueError(f"{start}..{end} is beyond the calendar's range")
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_workday(day)
    return count
