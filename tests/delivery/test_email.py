"""E-mail: copies of notifications only to users who chose e-mail for that
kind, once each, saying why and linking to the page; the daily digest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from zhiben.delivery import services, tick
from zhiben.delivery.choices import EmailMode, MessageGroup, group_of
from zhiben.delivery.models import OutgoingEmail
from zhiben.notify.services import notify

pytestmark = pytest.mark.django_db


def _email(user, address):
    user.email = address
    user.save(update_fields=["email"])


def _choose(user, **modes):
    services.set_preferences(actor=user, user=user, choices=modes)


def test_kinds_are_grouped():
    assert group_of("hazard.confirm") == MessageGroup.HAZARD
    assert group_of("hazard.deadline") == MessageGroup.REMINDER
    assert group_of("hazard.supervise") == MessageGroup.SUPERVISION
    assert group_of("hazard.escalate") == MessageGroup.SUPERVISION
    assert group_of("plan_report.return") == MessageGroup.REPORT
    assert group_of("plan.report_due") == MessageGroup.REMINDER
    assert group_of("plan.obligation_due") == MessageGroup.REMINDER
    assert group_of("tip.reply_due") == MessageGroup.REMINDER
    assert group_of("registry.expiry") == MessageGroup.REMINDER
    assert group_of("tip.submit") == MessageGroup.TIP
    assert group_of("") == MessageGroup.OTHER


def test_only_users_who_chose_email_get_one(users):
    officer, leader, street = users["officer"], users["leader"], users["street"]
    for user in (officer, leader, street):
        _email(user, f"{user.username}@example.gov.cn")
    _choose(officer, hazard=EmailMode.INSTANT)
    _choose(leader, tip=EmailMode.INSTANT)  # another kind
    notify(
        [officer, leader, street], title="隐患待确认：YH-1", body="请尽快确认", url="/hazards/1/", kind="hazard.create"
    )
    result = tick.run(timezone.now())
    assert result["emails_queued"] == 1 and result["emails_sent"] == 1
    [message] = mail.outbox
    assert message.to == ["t_officer@example.gov.cn"]
    assert message.subject == "[治本] 隐患待确认：YH-1"
    assert "选择了以即时邮件接收“隐患治理" in message.body
    assert "https://zhiben.example.gov.cn/hazards/1/" in message.body
    assert "请尽快确认" in message.body
    # Once: the next runs send nothing new.
    tick.run(timezone.now() + dt.timedelta(minutes=5))
    assert len(mail.outbox) == 1


def test_messages_before_the_choice_are_not_mailed(users):
    officer = users["officer"]
    _email(officer, "o@example.gov.cn")
    notify([officer], title="旧消息", kind="hazard.create")
    _choose(officer, hazard=EmailMode.INSTANT)
    notify([officer], title="新消息", kind="hazard.create")
    tick.run(timezone.now() + dt.timedelta(seconds=1))
    assert [m.subject for m in mail.outbox] == ["[治本] 新消息"]


def test_message_without_link_points_to_the_inbox(users):
    officer = users["officer"]
    _email(officer, "o@example.gov.cn")
    _choose(officer, other=EmailMode.INSTANT)
    notify([officer], title="导入完成", kind="import.done")
    tick.run(timezone.now())
    assert "https://zhiben.example.gov.cn/inbox/" in mail.outbox[0].body


def test_failed_sending_is_retried(users, settings, monkeypatch):
    officer = users["officer"]
    _email(officer, "o@example.gov.cn")
    _choose(officer, hazard=EmailMode.INSTANT)
    notify([officer], title="隐患", kind="hazard.create")
    from django.core.mail import EmailMessage

    def broken(self, fail_silently=False):
        raise OSError("SMTP 连接被拒绝")

    monkeypatch.setattr(EmailMessage, "send", broken)
    now = timezone.now()
    assert tick.run(now)["emails_failed"] == 1
    email = OutgoingEmail.objects.get()
    assert email.attempts == 1 and email.next_attempt_at == now + dt.timedelta(minutes=1)
    assert "SMTP" in email.last_error
    monkeypatch.undo()
    assert tick.run(now + dt.timedelta(seconds=30))["emails_sent"] == 0
    assert tick.run(now + dt.timedelta(minutes=1))["emails_sent"] == 1
    assert len(mail.outbox) == 1


def _at_local_hour(hour: int) -> dt.datetime:
    now = timezone.localtime(timezone.now())
    moment = now.replace(hour=hour, minute=30, second=0, microsecond=0)
    if moment <= now:
        moment += dt.timedelta(days=1)
    return moment


def test_daily_digest_once_a_day(users):
    leader, officer = users["leader"], users["officer"]
    _email(leader, "l@example.gov.cn")
    _choose(leader, hazard=EmailMode.DIGEST, reminder=EmailMode.DIGEST)
    notify([leader, officer], title="隐患待确认：YH-1", url="/hazards/1/", kind="hazard.create")
    notify([leader], title="整改时限还有3天：YH-2", url="/hazards/2/", kind="hazard.deadline")
    notify([leader], title="举报待处理", kind="tip.submit")  # not chosen
    evening = _at_local_hour(18)
    # No instant copy, and nothing before the digest hour.
    assert tick.run(evening - dt.timedelta(hours=2))["digests_queued"] == 0
    assert mail.outbox == []
    assert tick.run(evening)["digests_queued"] == 1
    [message] = mail.outbox
    assert message.to == ["l@example.gov.cn"] and "每日消息汇总" in message.subject and "2 条" in message.subject
    assert "隐患待确认：YH-1" in message.body and "整改时限还有3天：YH-2" in message.body
    assert "举报待处理" not in message.body
    assert "每日邮件汇总" in message.body and "https://zhiben.example.gov.cn/hazards/2/" in message.body
    # Once a day.
    assert tick.run(evening + dt.timedelta(hours=1))["digests_queued"] == 0
    assert len(mail.outbox) == 1


def test_no_email_without_an_address(users):
    officer = users["officer"]
    with pytest.raises(services.ValidationFailed, match="未登记邮箱"):
        _choose(officer, hazard=EmailMode.INSTANT)
    assert not officer.channel_preferences.exists()
