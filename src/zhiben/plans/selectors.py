"""Read-side helpers: prefetching, the missing-report list, compliance
figures and the timeline data. No writes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from . import access
from .choices import InstanceState, ReportStatus
from .models import ObligationInstance, OrgNameMapping, Plan, ProgressReport, Task, TaskUnit


def with_related(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.select_related("plan", "plan__owner").prefetch_related(
        Prefetch("units", queryset=TaskUnit.objects.select_related("organization")),
        "milestones",
        "reports",
        "indicators__values",
    )


def plan_tasks(plan: Plan) -> list[Task]:
    """The plan's live tasks, with everything their rows show."""
    return list(with_related(plan.tasks.filter(removed_at__isnull=True)))


def plan_instances(plan: Plan) -> list[ObligationInstance]:
    """The instances of the plan's active obligations."""
    return list(ObligationInstance.objects.filter(obligation__plan=plan, obligation__is_active=True))


def this_month(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()).replace(day=1)


@dataclass
class Missing:
    organization: object
    items: list[dict] = field(default_factory=list)


def missing_reports(user, month: dt.date, today: dt.date | None = None) -> list[Missing]:
    """尚未报送: for each lead organization, the live, not completed tasks of
    visible plans running in ``month`` with no report submitted for it."""
    today = today or timezone.localdate()
    month = month.replace(day=1)
    tasks = with_related(
        access.visible_tasks(user).filter(plan__period_start__lte=month, plan__period_end__gte=month)
    ).exclude(completed_on__lt=month)
    submitted = set(
        ProgressReport.objects.filter(month=month, first_submitted_at__isnull=False).values_list(
            "task_id", "organization_id"
        )
    )
    drafts = {
        (r.task_id, r.organization_id): r
        for r in ProgressReport.objects.filter(month=month, first_submitted_at__isnull=True)
    }
    by_org: dict[int, Missing] = {}
    for task in tasks:
        for org in task.lead_organizations():
            if (task.pk, org.pk) in submitted:
                continue
            due = task.plan.report_due_date(month)
            entry = by_org.setdefault(org.pk, Missing(org))
            entry.items.append(
                {"task": task, "due": due, "overdue": due < today, "draft": drafts.get((task.pk, org.pk))}
            )
    return sorted(by_org.values(), key=lambda m: m.organization.path)


@dataclass
class Compliance:
    due: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def fulfilled(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        """按期完成率: on-time instances among those already due (or done)."""
        return round(100 * self.on_time / self.due, 1) if self.due else None

    def add(self, state: str) -> None:
        if state == InstanceState.PENDING:
            self.pending += 1
            return
        self.due += 1
        if state == InstanceState.ON_TIME:
            self.on_time += 1
        elif state == InstanceState.LATE:
            self.late += 1
        else:
            self.missed += 1


def compliance(instances, today: dt.date | None = None, key=None) -> dict:
    """Compliance figures of ``instances``, overall (key None) or grouped by
    ``key(instance)``."""
    today = today or timezone.localdate()
    groups: dict = defaultdict(Compliance)
    for instance in instances:
        groups[key(instance) if key else None].add(instance.state(today))
    return dict(groups)


def instances_for(user) -> QuerySet[ObligationInstance]:
    return access.visible_instances(user).select_related(
        "obligation", "obligation__plan", "obligation__task", "obligation__organization"
    )


def review_queue(user) -> list[ProgressReport]:
    reports = (
        access.visible_reports(user)
        .filter(status=ReportStatus.SUBMITTED)
        .select_related("task__plan__owner", "organization")
    )
    return [r for r in reports if access.can_review_report(user, r)]


def timeline(plan: Plan, tasks: list[Task], today: dt.date | None = None) -> dict:
    """Bars by month over the plan period (倒排工期、挂图作战): each task from
    the plan start to its last milestone (or the plan end), milestones as
    marks, and today's position — as percentages of the period."""
    today = today or timezone.localdate()
    start, end = plan.period_start, plan.period_end
    span = (end - start).days + 1

    def pct(day: dt.date) -> float:
        return round(100 * max(0, min((day - start).days, span)) / span, 2)

    months = []
    for first in plan.months():
        months.append({"label": f"{first.month}" if first.month != 1 else f"{first.year}", "left": pct(first)})
    rows = []
    for task in tasks:
        milestones = list(task.milestones.all())
        last = max((m.due_date for m in milestones), default=end)
        rows.append(
            {
                "task": task,
                "status": task.status(today),
                "width": max(pct(min(last, end)), 1),
                "marks": [
                    {
                        "left": pct(m.due_date),
                        "title": f"{m.due_date:%Y-%m-%d} {m.text[:40]}",
                        "met": m.met_on is not None,
                        "overdue": m.is_overdue(today),
                    }
                    for m in milestones
                ],
            }
        )
    return {
        "months": months,
        "years": [
            {"label": str(y), "left": pct(max(dt.date(y, 1, 1), start))} for y in range(start.year, end.year + 1)
        ],
        "today": pct(today) if start <= today <= end else None,
        "rows": rows,
    }


def unresolved_names() -> list[dict]:
    """Unit names of live tasks that link to no organization and are not
    marked as collective: name, number of task links, plans."""
    ignored = set(OrgNameMapping.objects.filter(ignored=True).values_list("name", flat=True))
    rows: dict[str, dict] = {}
    for unit in TaskUnit.objects.filter(organization__isnull=True, task__removed_at__isnull=True).select_related(
        "task__plan"
    ):
        if unit.name in ignored:
            continue
        row = rows.setdefault(unit.name, {"name": unit.name, "count": 0, "plans": {}})
        row["count"] += 1
        row["plans"][unit.task.plan_id] = unit.task.plan.title
    return sorted(rows.values(), key=lambda r: (-r["count"], r["name"]))


def name_mappings() -> QuerySet[OrgNameMapping]:
    """The name mappings already made (名称对照), with their organizations."""
    return OrgNameMapping.objects.select_related("organization")
