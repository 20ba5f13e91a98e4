"""Dated instances of recurring duties over the plan period (pure)."""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import example, given, settings
from hypothesis import strategies as st

from zhiben.plans.parsing.recurring import find_recurring
from zhiben.plans.schedule import occurrences

START, END = dt.date(2024, 1, 1), dt.date(2026, 12, 31)


def dues(**kw) -> list[dt.date]:
    return [o.due_date for o in occurrences(start=START, end=END, **kw)]


def test_monthly_with_due_day_is_that_day_each_month():
    got = occurrences(period="month", start=START, end=END, due_day=24)
    assert len(got) == 36
    assert got[0].due_date == dt.date(2024, 1, 24) and got[0].label == "2024年1月"
    assert got[-1].due_date == dt.date(2026, 12, 24)


def test_monthly_due_day_is_clamped_and_defaults_to_month_end():
    assert dues(period="month", due_day=31)[1] == dt.date(2024, 2, 29)
    assert dues(period="month")[1] == dt.date(2024, 2, 29)
    assert dues(period="month")[0] == dt.date(2024, 1, 31)


def test_quarterly_due_at_quarter_end():
    got = occurrences(period="quarter", start=START, end=END)
    assert len(got) == 12
    q3 = next(o for o in got if o.label == "2025年第三季度")
    assert q3.due_date == dt.date(2025, 9, 30) and q3.period_start == dt.date(2025, 7, 1)


def test_half_year_and_year():
    assert dues(period="half_year")[:2] == [dt.date(2024, 6, 30), dt.date(2024, 12, 31)]
    assert len(dues(period="half_year")) == 6
    assert dues(period="year") == [dt.date(2024, 12, 31), dt.date(2025, 12, 31), dt.date(2026, 12, 31)]
    # 每年至少2轮 with no dates → twice a year
    assert len(dues(period="year", times=2)) == 6


def test_fixed_annual_dates():
    got = occurrences(period="year", start=START, end=END, times=2, dates=["06-30", "12-31"])
    assert [o.due_date for o in got][:2] == [dt.date(2024, 6, 30), dt.date(2024, 12, 31)]
    assert len(got) == 6 and got[0].label == "2024年6月30日"


def test_weekly_and_biweekly():
    weekly = dues(period="week")
    assert weekly[0] == dt.date(2024, 1, 7)  # 2024-01-01 is a Monday; due Sunday
    assert all((b - a).days == 7 for a, b in itertools.pairwise(weekly))
    biweekly = occurrences(period="week", every=2, start=START, end=END)
    assert biweekly[0].due_date == dt.date(2024, 1, 14) and "双周" in biweekly[0].label
    assert (biweekly[1].due_date - biweekly[0].due_date).days == 14
    assert len(biweekly) == 78
    monday = dues(period="week", options={"weekday": 1})
    assert monday[0] == dt.date(2024, 1, 1)


def test_ten_day_cycle_every_and_from_year():
    tens = dues(period="month", times=3, options={"ten_day_cycle": True})
    assert tens[:3] == [dt.date(2024, 1, 10), dt.date(2024, 1, 20), dt.date(2024, 1, 31)]
    assert dues(period="month", every=2)[:2] == [dt.date(2024, 1, 31), dt.date(2024, 3, 31)]
    assert dues(period="year", options={"from_year": 2025}) == [dt.date(2025, 12, 31), dt.date(2026, 12, 31)]


def test_only_within_the_period():
    got = occurrences(period="month", start=dt.date(2024, 4, 15), end=dt.date(2024, 6, 10), due_day=24)
    assert [o.due_date for o in got] == [dt.date(2024, 4, 24), dt.date(2024, 5, 24)]


def test_every_skips_quarters_and_years():
    got = occurrences(period="quarter", every=2, start=dt.date(2024, 5, 10), end=END)
    assert [o.label for o in got[:3]] == ["2024年第二季度", "2024年第四季度", "2025年第二季度"]
    assert got[0].period_start == dt.date(2024, 4, 1) and got[0].due_date == dt.date(2024, 6, 30)
    assert dues(period="year", every=2) == [dt.date(2024, 12, 31), dt.date(2026, 12, 31)]


def test_weeks_start_on_the_monday_before_a_midweek_start():
    got = occurrences(period="week", start=dt.date(2024, 1, 3), end=dt.date(2024, 1, 31))
    assert got[0].period_start == dt.date(2024, 1, 1) and got[0].due_date == dt.date(2024, 1, 7)
    assert got[0].label == "2024-01-01起周"
    # a named weekday only applies to weekly duties: 双周 stays due on the period's last day
    biweekly = occurrences(period="week", every=2, start=START, end=END, options={"weekday": 1})
    assert biweekly[0].due_date == dt.date(2024, 1, 14)


def test_fixed_dates_are_clamped_and_periods_chain():
    got = occurrences(period="year", start=START, end=dt.date(2025, 12, 31), dates=["12-31", "02-29"])
    assert [o.due_date for o in got] == [
        dt.date(2024, 2, 29),
        dt.date(2024, 12, 31),
        dt.date(2025, 2, 28),
        dt.date(2025, 12, 31),
    ]
    assert got[1].period_start == dt.date(2024, 3, 1)


def test_unknown_period_has_no_instances():
    assert occurrences(period="day", start=START, end=END) == []


# Duty phrases as plans write them, with numbers beyond what calendars allow.
DUTY_PHRASES = st.one_of(
    st.builds("每年{}月{}日前报送".format, st.integers(1, 12), st.integers(0, 35)),
    st.builds("每月{}日前报送".format, st.integers(0, 35)),
    st.builds(
        "{}{}{}开展检查".format,
        st.sampled_from(["每年", "每月", "每周", "每季度", "每半年", "每旬", "每两周", "双周", "2025年起，每年"]),
        st.one_of(
            st.just(""),
            st.builds("{}月{}日".format, st.integers(0, 13), st.integers(0, 35)),
            st.builds("{}月{}日、{}月底".format, st.integers(1, 12), st.integers(0, 35), st.integers(1, 12)),
            st.sampled_from(["一", "日", "底", "末", "年底"]),
        ),
        st.one_of(st.just(""), st.builds("至少{}-{}次".format, st.integers(0, 4), st.integers(0, 4))),
    ),
)


@settings(max_examples=80, deadline=None)
@example("每年6月0日开展检查")  # used to read as "06-00", a date the calendar cannot build
@given(DUTY_PHRASES)
def test_every_parsed_duty_has_a_calendar(phrase):
    """What the parser reads, the calendar can schedule (as plans/services.py passes it)."""
    for duty in find_recurring(phrase):
        got = occurrences(
            period=duty["period"],
            start=START,
            end=END,
            every=duty["every"],
            times=duty["times"],
            due_day=duty["due_day"],
            dates=duty.get("dates") or [],
            options={k: duty[k] for k in ("weekday", "ten_day_cycle", "from_year", "at_period_end") if k in duty},
        )
        assert got, phrase
        assert all(o.label and o.period_start <= o.due_date and START <= o.due_date <= END for o in got), phrase


def test_holiday_duty_is_due_the_last_working_day_before_each_holiday():
    """逢节假日: one instance per public holiday of the transcribed notices (data/holidays/),
    due before the days off start; 调休 workdays count as working days."""
    got = occurrences(period="holiday", start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    by_label = {o.label: o for o in got}
    assert list(by_label) == [
        "2025年春节",
        "2025年清明节",
        "2025年劳动节",
        "2025年端午节",
        "2025年国庆节、中秋节",
    ]  # 元旦 2025-01-01 would be due on 2024-12-31, outside the period
    assert by_label["2025年春节"].period_start == dt.date(2025, 1, 28)
    assert by_label["2025年春节"].due_date == dt.date(2025, 1, 27)  # Monday
    assert by_label["2025年端午节"].due_date == dt.date(2025, 5, 30)  # the holiday starts on a Saturday
    assert by_label["2025年国庆节、中秋节"].due_date == dt.date(2025, 9, 30)
    # the whole campaign: 2024 has 中秋节 and 国庆节 apart (and its 元旦 is due in 2023), 2026 too
    assert len(occurrences(period="holiday", start=START, end=END)) == 19
