"""What ``zhiben tick`` does for plans (see zhiben.core.tick for the convention).

* 月度报送: for every plan running this month (the months ``missing_reports``
  counts), each lead organization of a live, not completed task that has not
  submitted its report for the month is reminded 3 days before the plan's
  due day (每月24日前…; ``Plan.report_due_date``) and on the day. Recipients:
  the staff (部门领导/经办人/街道经办人) of the lead organization and below —
  the people who write the report.
* 任务节点 (Milestone, 倒排工期): an unmet milestone of a live, not completed
  task is reminded 3 days before its 完成时限 and on the day, to the staff of
  the task's lead organizations.
* 常态化任务 (ObligationInstance): an unfulfilled instance of an active
  obligation is reminded 3 days before its 期限 and on the day, to the staff
  of its responsible organization (who fulfil it on the plan calendar).

The reads are windows: the plans running this month, and the instances due
within 3 days (the ``instance_unique_due`` index covers due_date per
obligation; the table is small next to the hazard ledger).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from zhiben.core.tick import batch_size, pages
from zhiben.notify import services as notify

from .choices import UnitRole
from .models import Milestone, ObligationInstance, Plan, ProgressReport, TaskUnit

BEFORE_DAYS = 3


def _stage(due: dt.date, today: dt.date) -> tuple[str, str] | None:
    days = (due - today).days
    if days == 0:
        return "0", "今天到期"
    if 0 < days <= BEFORE_DAYS:
        return f"-{BEFORE_DAYS}", f"还有{days}天"
    return None


def _reports(today: dt.date, limit: int) -> list[notify.Due]:
    month = today.replace(day=1)
    plans = {}
    for plan in Plan.objects.filter(period_start__lte=month, period_end__gte=month):
        due = plan.report_due_date(month)
        if _stage(due, today):
            plans[plan.pk] = (plan, due)
    if not plans:
        return []
    window = (
        TaskUnit.objects.filter(
            task__plan_id__in=list(plans),
            task__removed_at__isnull=True,
            role=UnitRole.LEAD,
            organization__isnull=False,
        )
        .exclude(task__completed_on__lt=month)
        .values("pk", "task_id", "task__plan_id", "task__title", "organization_id")
    )
    dues: list[notify.Due] = []
    for rows in pages(window, limit):
        dues += _report_dues(today, month, plans, rows)
    return dues


def _report_dues(today: dt.date, month: dt.date, plans: dict, rows: list[dict]) -> list[notify.Due]:
    leads = [(r["task_id"], r["task__plan_id"], r["task__title"], r["organization_id"]) for r in rows]
    submitted = set(
        ProgressReport.objects.filter(
            month=month, first_submitted_at__isnull=False, task_id__in={t for t, _, _, _ in leads}
        ).values_list("task_id", "organization_id")
    )
    staff = notify.staff_by_org({org for _, _, _, org in leads})
    dues: list[notify.Due] = []
    for task_id, plan_id, title, org_id in leads:
        if (task_id, org_id) in submitted:
            continue
        plan, due = plans[plan_id]
        stage, when = _stage(due, today)
        dues += notify.fan_out(
            f"plan-report:{task_id}:{org_id}:{month:%Y-%m}:{stage}",
            staff.get(org_id, []),
            title=f"{month:%Y年%m月}进展报送{when}：{title}"[:200],
            body=(
                f"《{plan.title}》的月度进展应于 {due:%Y年%m月%d日} 前报送，本月尚未报送。\n"
                "您收到此提醒，是因为您所在的单位是该任务的牵头单位。"
            ),
            url=reverse("plans:task_detail", args=[task_id]),
            kind="plan.report_due",
            target_type="plans.task",
            target_id=task_id,
        )
    return dues


def _milestones(today: dt.date, limit: int) -> list[notify.Due]:
    window = Milestone.objects.filter(
        met_on__isnull=True,
        task__removed_at__isnull=True,
        task__completed_on__isnull=True,
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=BEFORE_DAYS),
    ).values("pk", "task_id", "task__title", "due_date", "text")
    return [due for rows in pages(window, limit) for due in _milestone_dues(today, rows)]


def _milestone_dues(today: dt.date, rows: list[dict]) -> list[notify.Due]:
    leads: dict[int, set[int]] = {}
    for task_id, org_id in TaskUnit.objects.filter(
        task_id__in={r["task_id"] for r in rows}, role=UnitRole.LEAD, organization__isnull=False
    ).values_list("task_id", "organization_id"):
        leads.setdefault(task_id, set()).add(org_id)
    staff = notify.staff_by_org({org for orgs in leads.values() for org in orgs})
    dues: list[notify.Due] = []
    for row in rows:
        stage, when = _stage(row["due_date"], today)
        recipients = [uid for org in sorted(leads.get(row["task_id"], ())) for uid in staff.get(org, [])]
        dues += notify.fan_out(
            f"milestone:{row['pk']}:{row['due_date'].isoformat()}:{stage}",
            recipients,
            title=f"任务节点{when}：{row['text'][:60]}",
            body=(
                f"任务“{row['task__title']}”的节点应于 {row['due_date']:%Y年%m月%d日} 前完成，尚未完成。\n"
                "您收到此提醒，是因为您所在的单位是该任务的牵头单位。"
            ),
            url=reverse("plans:task_detail", args=[row["task_id"]]),
            kind="plan.milestone_due",
            target_type="plans.task",
            target_id=row["task_id"],
        )
    return dues


def _instances(today: dt.date, limit: int) -> list[notify.Due]:
    window = ObligationInstance.objects.filter(
        fulfilled_at__isnull=True,
        obligation__is_active=True,
        due_date__gte=today,
        due_date__lte=today + dt.timedelta(days=BEFORE_DAYS),
    ).values("pk", "label", "due_date", "obligation__text", "obligation__plan_id", "obligation__organization_id")
    return [due for rows in pages(window, limit) for due in _instance_dues(today, rows)]


def _instance_dues(today: dt.date, rows: list[dict]) -> list[notify.Due]:
    staff = notify.staff_by_org({r["obligation__organization_id"] for r in rows})
    dues: list[notify.Due] = []
    calendar = reverse("plans:calendar")
    for row in rows:
        stage, when = _stage(row["due_date"], today)
        dues += notify.fan_out(
            f"obligation:{row['pk']}:{row['due_date'].isoformat()}:{stage}",
            staff.get(row["obligation__organization_id"], []),
            title=f"常态化任务{when}：{row['obligation__text'][:60]}（{row['label']}）",
            body=(
                f"期限：{row['due_date']:%Y年%m月%d日}，尚未完成。请在方案日历中登记完成情况。\n"
                "您收到此提醒，是因为您所在的单位是该常态化任务的责任单位。"
            ),
            url=calendar,
            kind="plan.obligation_due",
            target_type="plans.plan",
            target_id=row["obligation__plan_id"],
        )
    return dues


def run(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    today = timezone.localdate(now)
    limit = batch_size()
    return {
        "月度报送提醒": notify.send_reminders(_reports(today, limit), dry_run=dry_run),
        "任务节点提醒": notify.send_reminders(_milestones(today, limit), dry_run=dry_run),
        "常态化任务提醒": notify.send_reminders(_instances(today, limit), dry_run=dry_run),
    }
