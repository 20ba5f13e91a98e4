"""zhiben tick for tips: the handlers are reminded on the reply's due day
(3 working days, holidays counted) and told once when it is late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.notify.models import Notification
from zhiben.tips import tick
from zhiben.tips.models import Tip, add_working_days

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 0))  # a Monday
TODAY = dt.date(2026, 12, 7)


def _received(tip: Tip, day: dt.date) -> Tip:
    Tip.objects.filter(pk=tip.pk).update(received_on=day)
    return Tip.objects.get(pk=tip.pk)


def _told(tip: Tip) -> set[str]:
    return set(
        Notification.objects.filter(kind="tip.reply_due", target_id=tip.pk).values_list(
            "recipient__username", flat=True
        )
    )


def test_reminded_on_the_due_day_once_and_told_once_when_late(users, submit, login):
    tip, _ = submit()  # routed to 区商务委
    received = dt.date(2026, 12, 2)  # Wednesday: due the third working day after, Monday 7th
    assert add_working_days(received, 3) == TODAY
    tip = _received(tip, received)
    assert tick.run(NOW) == {"答复提醒": 2}
    assert _told(tip) == {"t_leader", "t_officer"}  # not the 科室, which cannot open it
    message = Notification.objects.filter(kind="tip.reply_due").first()
    assert message.title == f"今天是举报答复期限：{tip.number}"
    assert "3 个工作日" in message.body and "您收到此提醒" in message.body
    assert login(message.recipient).get(message.url).status_code == 200
    assert tick.run(NOW)["答复提醒"] == 0
    # The next day it is late: told once.
    assert tick.run(NOW + dt.timedelta(days=1))["答复提醒"] == 2
    assert tick.run(NOW + dt.timedelta(days=2))["答复提醒"] == 0
    late = Notification.objects.filter(kind="tip.reply_due", title__startswith="举报答复已逾期")
    assert late.count() == 2


def test_weekends_do_not_count_and_answered_tips_are_quiet(users, submit):
    tip, _ = submit()
    _received(tip, dt.date(2026, 12, 3))  # Thursday: due Tuesday 8th, not today
    assert tick.run(NOW)["答复提醒"] == 0
    other, _ = submit()
    _received(other, dt.date(2026, 12, 2))
    Tip.objects.filter(pk=other.pk).update(status="replied", replied_at=timezone.now(), reply="已处理")
    assert tick.run(NOW)["答复提醒"] == 0
