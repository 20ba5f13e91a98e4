"""The monthly 高风险 notice: from the first working day, once per month per recipient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.notify.models import Notification
from zhiben.transport import tick


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 9, 0))


@pytest.fixture
def risky(fleet, make_vehicle, make_driver):
    make_vehicle(fleet["coach"], plate="沪B00001", inspection_due=dt.date(2026, 1, 10))
    make_driver(fleet["coach"], name="九分", points=9)
    return fleet


def test_first_workday_skips_weekends_and_holidays():
    assert tick.first_workday(dt.date(2026, 2, 1)) == dt.date(2026, 2, 2)  # 1 Feb 2026 is a Sunday
    assert tick.first_workday(dt.date(2025, 10, 1)) == dt.date(2025, 10, 9)  # 国庆 and 中秋


def test_notices_go_out_once_per_month(risky):
    # 2026-03-01 is a Sunday: nothing before the first working day (Monday 2 March).
    assert tick.run(_at(dt.date(2026, 3, 1))) == {"高风险清单提醒": 0}
    sent = tick.run(_at(dt.date(2026, 3, 2)))["高风险清单提醒"]
    assert sent == 2  # the operator's enterprise user and the police officer
    notes = {n.recipient.username: n for n in Notification.objects.select_related("recipient")}
    assert set(notes) == {"t_coach", "t_police"}
    assert "车辆 1 辆、驾驶员 1 名" in notes["t_coach"].title and "2026年2月" in notes["t_coach"].title
    assert notes["t_police"].url.endswith("?month=2026-02") and "1 家企业" in notes["t_police"].title
    assert tick.run(_at(dt.date(2026, 3, 2)))["高风险清单提醒"] == 0
    assert tick.run(_at(dt.date(2026, 3, 20)))["高风险清单提醒"] == 0
    assert tick.run(_at(dt.date(2026, 4, 1)))["高风险清单提醒"] == 2  # next month: March's list
    assert Notification.objects.count() == 4
    assert tick.run(_at(dt.date(2026, 5, 6)), dry_run=True)["高风险清单提醒"] == 2
    assert Notification.objects.count() == 4
