"""The tick reminds the responsible department's staff of works still unchecked in the
last week of the month, once per work per month."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.civildefence import tick
from zhiben.core.testing import make_user
from zhiben.notify.models import Notification
from zhiben.org.choices import Role


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _last_week_day() -> dt.date:
    """A day in the last week of a past month (so that checks on it may be recorded)."""
    first = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    return (first + dt.timedelta(days=40)).replace(day=1) - dt.timedelta(days=3)


def test_last_week_is_the_last_seven_days():
    assert not tick.in_last_week(dt.date(2026, 2, 21)) and tick.in_last_week(dt.date(2026, 2, 22))
    assert not tick.in_last_week(dt.date(2026, 3, 24)) and tick.in_last_week(dt.date(2026, 3, 25))


def test_unchecked_works_are_reminded_once_to_the_responsible_staff(works, gdb, users, make_filing, check, orgs):
    day = _last_week_day()
    filed = day - dt.timedelta(days=60)
    park = make_filing(works["park"], filed_on=filed)
    make_filing(works["river"], filing_no="HKRF-T-002", filed_on=filed)
    retired = make_filing(works["lane"], filing_no="HKRF-T-003", filed_on=filed)
    from zhiben.civildefence import services

    services.filing_transition(actor=gdb["officer"], filing=retired, name="retire", reason="报废")
    check(works["river"], day.replace(day=2))  # checked this month: no reminder
    outsider = make_user("t_swj_x", Role.DEPT_OFFICER, orgs["hk-swj"])

    assert tick.run(_at(day.replace(day=10))) == {"人防月度检查提醒": 0}  # not the last week yet
    assert tick.run(_at(day)) == {"人防月度检查提醒": 3}  # 区国动办's officer, leader and 民防管理中心
    notes = Notification.objects.filter(kind="civildefence.monthly")
    assert {n.recipient_id for n in notes} == {gdb["officer"].pk, gdb["leader"].pk, gdb["center"].pk}
    assert {n.target_id for n in notes} == {park.pk}
    assert all(park.site.name in n.title and f"/civildefence/filings/{park.pk}/" == n.url for n in notes)
    assert not notes.filter(recipient__in=[outsider, users["admin"], gdb["oyl"]]).exists()

    assert tick.run(_at(day + dt.timedelta(days=1))) == {"人防月度检查提醒": 0}  # once per work per month
    assert tick.run(_at(day), dry_run=True) == {"人防月度检查提醒": 0}


def test_dry_run_counts_and_writes_nothing(works, gdb, make_filing):
    day = _last_week_day()
    make_filing(works["park"], filed_on=day - dt.timedelta(days=60))
    assert tick.run(_at(day), dry_run=True) == {"人防月度检查提醒": 3}
    assert not Notification.objects.exists()
