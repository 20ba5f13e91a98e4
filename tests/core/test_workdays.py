"""Working days follow the State Council's holiday notices (data/holidays/)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from zhiben.core import workdays
from zhiben.core.workdays import HolidayDataError, add_workdays, is_workday, workdays_between

D = dt.date


def test_every_year_of_the_campaign_is_transcribed():
    for year in (2024, 2025, 2026):
        assert workdays.covers(D(year, 6, 1))
    # 元旦, 春节 and 国庆 of each year are off, whatever weekday they fall on
    assert not is_workday(D(2025, 1, 1)) and workdays.holiday_name(D(2025, 1, 1)) == "元旦"
    assert not is_workday(D(2026, 2, 17))  # 正月初一, a Tuesday
    assert not is_workday(D(2024, 10, 7))  # a Monday inside 国庆


def test_tiaoxiu_weekends_are_workdays():
    assert D(2026, 2, 14).weekday() == 5 and is_workday(D(2026, 2, 14))
    assert D(2024, 9, 29).weekday() == 6 and is_workday(D(2024, 9, 29))
    assert not is_workday(D(2026, 2, 21))  # an ordinary Saturday inside 春节


def test_add_workdays_skips_holidays():
    # Wednesday 2026-09-30 + 3 working days: 10-01..07 off, 10-08 Thu, 10-09 Fri, 10-10 Sat (调休)
    assert add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)
    # an ordinary week: Friday + 3 = Wednesday
    assert add_workdays(D(2026, 11, 6), 3) == D(2026, 11, 11)
    # 春节 2026: received on Thursday 2-12: 2-13 Fri, 2-14 Sat (调休), then 2-24 Tue
    assert add_workdays(D(2026, 2, 12), 3) == D(2026, 2, 24)
    assert add_workdays(D(2026, 2, 12), 0) == D(2026, 2, 12)


def test_years_without_a_notice_count_monday_to_friday():
    assert not workdays.covers(D(2031, 1, 1))
    assert is_workday(D(2031, 1, 1))  # a Wednesday; no notice transcribed for 2031
    assert not is_workday(D(2031, 1, 4))


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.dates(min_value=D(2023, 6, 1), max_value=D(2027, 6, 1)), st.integers(min_value=0, max_value=40))
def test_add_workdays_agrees_with_counting(start, days):
    end = add_workdays(start, days)
    assert workdays_between(start, end) == days
    assert days == 0 or is_workday(end)


def test_a_malformed_file_is_named(tmp_path, settings):
    (tmp_path / "2030.yaml").write_text(
        "year: 2030\nholidays:\n  - {name: 元旦, from: 2030-01-01, to: 2030-01-01}\nworkdays:\n  - 2030-01-01\n",
        encoding="utf-8",
    )
    settings.ZHIBEN_HOLIDAYS_DIR = str(tmp_path)
    workdays.calendar.cache_clear()
    try:
        with pytest.raises(HolidayDataError, match=r"2030\.yaml"):
            workdays.calendar()
        (tmp_path / "2030.yaml").write_text("year: 2030\nworkdays:\n  - 2030-01-02\n", encoding="utf-8")
        workdays.calendar.cache_clear()
        with pytest.raises(HolidayDataError, match="不是周末"):
            workdays.calendar()
    finally:
        workdays.calendar.cache_clear()


def test_unbounded_counts_are_refused():
    with pytest.raises(ValueError):
        add_workdays(D(2026, 1, 1), 10**7)
    with pytest.raises(ValueError):
        workdays_between(D(2026, 1, 1), D(2200, 1, 1))
