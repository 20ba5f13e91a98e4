"""A tip's 3 个工作日 reply deadline skips public holidays and counts 调休 weekends."""

from __future__ import annotations

import datetime as dt

from zhiben.tips.models import Tip, add_working_days, late_cutoff


def test_reply_deadline_skips_national_day():
    # received Wednesday 30 Sep 2026: 1–7 Oct off, Thu 8, Fri 9, Sat 10 (调休上班)
    assert add_working_days(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    # received before 春节 2026: Fri 13 Feb, Sat 14 Feb (调休), Tue 24 Feb
    assert add_working_days(dt.date(2026, 2, 12), 3) == dt.date(2026, 2, 24)


def test_late_cutoff_over_the_spring_festival():
    for today in (dt.date(2026, 2, 10) + dt.timedelta(days=i) for i in range(25)):
        cutoff = late_cutoff(today, 3)
        assert add_working_days(cutoff, 3) < today <= add_working_days(cutoff + dt.timedelta(days=1), 3)


def test_a_tip_received_before_the_holiday_is_not_late_during_it():
    tip = Tip(received_on=dt.date(2026, 9, 30), status="pending")
    assert tip.reply_due == dt.date(2026, 10, 10)
    assert not tip.is_late(today=dt.date(2026, 10, 9))
    assert tip.is_late(today=dt.date(2026, 10, 11))
