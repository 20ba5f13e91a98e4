"""zhiben tick for plans: monthly reports and obligation instances are
reminded 3 days before their due day and on the day, once, to the staff of
the responsible organization."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.notify.models import Notification
from zhiben.plans import services, tick

from .conftest import month

pytestmark = pytest.mark.django_db


def at(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def commerce(import_plan):
    return import_plan("commerce")


def _told(kind: str, **filters) -> set[str]:
    return set(Notification.objects.filter(kind=kind, **filters).values_list("recipient__username", flat=True))


def test_monthly_report_reminded_before_and_on_the_due_day_to_the_lead_section(users, orgs, commerce, login):
    task = commerce.tasks.get(number="2")  # led by 区商务委's sections, due on the 24th
    assert tick.run(at(2025, 3, 20, 9))["月度报送提醒"] == 0  # 4 days before
    counts = tick.run(at(2025, 3, 21, 9))
    assert counts["月度报送提醒"] > 0
    told = _told("plan.report_due", target_id=task.pk)
    assert "t_section" in told  # the 市场管理科 writes the report
    assert "t_enterprise" not in told and "t_expert" not in told
    message = Notification.objects.filter(kind="plan.report_due", recipient=users["section"], target_id=task.pk).get()
    assert "还有3天" in message.title and "2025年03月24日" in message.body and "牵头单位" in message.body
    assert login(users["section"]).get(message.url).status_code == 200
    assert tick.run(at(2025, 3, 22, 9))["月度报送提醒"] == 0  # once per stage
    # Submitted: no reminder on the day for that task and section.
    report = services.report_save(
        actor=users["section"], task=task, organization=orgs["hk-swj-scglk"], month=month(2025, 3), summary="已完成"
    )
    services.report_submit(actor=users["section"], report=report)
    tick.run(at(2025, 3, 24, 9))
    on_the_day = Notification.objects.filter(kind="plan.report_due", title__contains="今天到期", target_id=task.pk)
    assert users["section"].pk not in set(on_the_day.values_list("recipient_id", flat=True))


def test_obligation_instance_reminded_once_per_stage(users, commerce):
    obligation = commerce.obligations.get(task=None, due_day=24)
    instance = obligation.instances.get(due_date=dt.date(2025, 3, 24))
    tick.run(at(2025, 3, 21, 9))
    told = _told("plan.obligation_due", title__contains=instance.label)
    assert {"t_leader", "t_officer"} <= told
    assert "t_enterprise" not in told
    assert tick.run(at(2025, 3, 21, 10))["常态化任务提醒"] == 0
    assert tick.run(at(2025, 3, 24, 9))["常态化任务提醒"] > 0
    message = Notification.objects.filter(kind="plan.obligation_due", title__contains="今天到期").first()
    assert message.url == "/plan-calendar/" and message.target_type == "plans.plan"


def test_milestone_reminded_to_the_lead_organization(users, orgs, import_plan, plan_users):
    plan = import_plan("ecology")
    task = plan.tasks.get(number="4")  # milestones 2024-12-31, 2025-12-31, 2026-12-31; led by 防损应急科
    counts = tick.run(at(2024, 12, 28, 9))
    assert counts["任务节点提醒"] > 0
    told = _told("plan.milestone_due", target_id=task.pk)
    assert "t_sthjj_officer" in told
    assert "t_officer" not in told and "t_gafj_officer" not in told
    message = Notification.objects.filter(kind="plan.milestone_due", target_id=task.pk).first()
    assert "还有3天" in message.title and "2024年12月31日" in message.body
    assert message.url == f"/plan-tasks/{task.pk}/"
    assert tick.run(at(2024, 12, 29, 9))["任务节点提醒"] == 0
    assert tick.run(at(2024, 12, 31, 9))["任务节点提醒"] > 0  # on the day
