"""API of the plan/task ledger: plans, tasks (with milestones and
indicators), obligations and their instances, progress reports with their
transitions. Out-of-scope objects answer 404.

No ``from __future__ import annotations`` here: django-ninja reads the
endpoint signatures through the ``@idempotent`` wrapper."""

import datetime as dt
from typing import Any

from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import EARLIEST_DATE, LATEST_DATE, Day, Id, StrictSchema, Text
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_from_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.org.models import Organization

from . import access, selectors, services
from .choices import ReportStatus
from .models import Indicator, Milestone, Plan, ProgressReport, Task

router = Router(tags=["任务清单"])


class OrgRef(Schema):
    id: int
    name: str


class PlanOut(Schema):
    id: int
    title: str
    sector: str | None
    owner: OrgRef
    period_start: dt.date
    period_end: dt.date
    report_due_day: int | None
    version: int
    source_sha256: str
    task_count: int


class ReportOut(Schema):
    id: int
    task_id: int
    plan_id: int
    organization: OrgRef
    month: dt.date
    due_date: dt.date
    status: str
    status_label: str
    summary: str
    completed: bool
    milestone_ids: list[int]
    first_submitted_at: dt.datetime | None
    submitted_at: dt.datetime | None
    is_late: bool
    return_reason: str


class ReportIn(StrictSchema):
    task_id: Id
    organization_id: Id
    month: Day()
    summary: Text()
    completed: bool = False
    milestone_ids: list[Id] = Field(default=[], max_length=200)


class ReasonIn(StrictSchema):
    reason: Text()


class EmptyIn(StrictSchema):
    pass


def _org(org) -> dict | None:
    return {"id": org.pk, "name": org.name} if org is not None else None


def _plan(plan: Plan) -> dict:
    return {
        "id": plan.pk,
        "title": plan.title,
        "sector": plan.sector.code if plan.sector_id else None,
        "owner": _org(plan.owner),
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "report_due_day": plan.report_due_day,
        "version": plan.version,
        "source_sha256": plan.source_sha256,
        "task_count": plan.tasks.filter(removed_at__isnull=True).count(),
    }


def _units(task: Task, role: str) -> list[dict]:
    return [
        {"name": u.name, "organization": _org(u.organization), "is_default": u.is_default}
        for u in task.units.all()
        if u.role == role
    ]


def _milestone(m: Milestone) -> dict:
    return {"id": m.pk, "due_date": m.due_date, "text": m.text, "met_on": m.met_on, "overdue": m.is_overdue()}


def _indicator(i: Indicator) -> dict:
    """An indicator with its rule's computed result (numerator/denominator
    as of its target date, or today while that is ahead) and its manual values."""
    result = i.computed()
    return {
        "id": i.pk,
        "text": i.text,
        "target_value": float(i.target_value),
        "target_max": float(i.target_max) if i.target_max is not None else None,
        "unit": i.unit,
        "target_date": i.target_date,
        "state": i.state(),
        "rule": i.rule or None,
        "rule_label": i.rule_spec.label if i.rule_spec else None,
        "computed": (
            {
                "as_of": result.as_of,
                "numerator": result.numerator,
                "denominator": result.denominator,
                "value": float(result.value) if result.value is not None else None,
                "unit": i.rule_spec.unit,
            }
            if result is not None
            else None
        ),
        "values": [
            {"value": float(v.value), "measured_on": v.measured_on, "note": v.note, "manual": True}
            for v in i.values.all()
        ],
    }


def _task(task: Task, full: bool = False) -> dict:
    data = {
        "id": task.pk,
        "plan_id": task.plan_id,
        "section": task.section,
        "number": task.number,
        "title": task.title,
        "status": task.status(),
        "completed_on": task.completed_on,
        "lead_units": _units(task, "lead"),
        "participating_units": _units(task, "participating"),
        "milestones": [_milestone(m) for m in task.milestones.all()],
    }
    if full:
        data["text"] = task.text
        data["indicators"] = [_indicator(i) for i in task.indicators.all()]
    return data


def _report(r: ProgressReport) -> dict:
    return {
        "id": r.pk,
        "task_id": r.task_id,
        "plan_id": r.task.plan_id,
        "organization": _org(r.organization),
        "month": r.month,
        "due_date": r.due_date,
        "status": r.status,
        "status_label": r.get_status_display(),
        "summary": r.summary,
        "completed": r.completed,
        "milestone_ids": [m.pk for m in r.milestones.all()],
        "first_submitted_at": r.first_submitted_at,
        "submitted_at": r.submitted_at,
        "is_late": r.is_late,
        "return_reason": r.return_reason,
    }


def _instance(i) -> dict:
    return {
        "id": i.pk,
        "obligation_id": i.obligation_id,
        "label": i.label,
        "period_start": i.period_start,
        "due_date": i.due_date,
        "state": i.state(),
        "fulfilled_at": i.fulfilled_at,
        "note": i.note,
    }


@router.get("/plans", response=list[PlanOut], summary="行动方案列表")
def plan_list(request):
    return [_plan(p) for p in access.visible_plans(request.auth).select_related("owner", "sector").order_by("id")]


@router.get("/plans/{pk}", response=PlanOut, summary="行动方案详情")
def plan_detail(request, pk: Id):
    return _plan(
        get_from_or_404(access.visible_plans(request.auth).select_related("owner", "sector"), request.auth, pk=pk)
    )


@router.get("/plans/{pk}/tasks", response=list[dict[str, Any]], summary="方案的任务（含牵头/参与单位、节点、状态）")
def plan_tasks(request, pk: Id):
    plan = get_from_or_404(access.visible_plans(request.auth), request.auth, pk=pk)
    return [_task(t) for t in selectors.with_related(plan.tasks.filter(removed_at__isnull=True))]


@router.get("/plans/{pk}/obligations", response=list[dict[str, Any]], summary="方案的常态化任务及其期次")
def plan_obligations(request, pk: Id):
    plan = get_from_or_404(access.visible_plans(request.auth), request.auth, pk=pk)
    return [
        {
            "id": o.pk,
            "task_id": o.task_id,
            "organization": _org(o.organization),
            "period": o.period,
            "every": o.every,
            "times": o.times,
            "due_day": o.due_day,
            "dates": o.dates,
            "schedule": o.schedule_label,
            "text": o.text,
            "instances": [_instance(i) for i in o.instances.all()],
        }
        for o in plan.obligations.filter(is_active=True).select_related("organization").prefetch_related("instances")
    ]


@router.get("/plan-tasks/{pk}", response=dict[str, Any], summary="任务详情（含节点、指标）")
def task_detail(request, pk: Id):
    return _task(
        get_from_or_404(selectors.with_related(access.visible_tasks(request.auth)), request.auth, pk=pk), full=True
    )


@router.get("/plan-instances", response=list[dict[str, Any]], summary="常态化任务期次（按月）")
def instance_list(request, month: Text(7) | None = None):
    qs = selectors.instances_for(request.auth)
    if month:
        try:
            first = dt.datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise ValidationFailed("月份格式应为 YYYY-MM", details={"month": "格式应为 YYYY-MM"}) from None
        if not EARLIEST_DATE <= first <= LATEST_DATE:
            raise ValidationFailed(
                f"月份应在 {EARLIEST_DATE:%Y-%m} 至 {LATEST_DATE:%Y-%m} 之间", details={"month": "超出范围"}
            )
        following = (first + dt.timedelta(days=32)).replace(day=1)
        qs = qs.filter(due_date__gte=first, due_date__lt=following)
    return [_instance(i) for i in qs.order_by("due_date", "id")[:2000]]


@router.get("/plan-reports", response=list[ReportOut], summary="月度报送列表")
def report_list(request, month: Day() | None = None, status: Text(10) | None = None):
    qs = access.visible_reports(request.auth).select_related("task", "organization").prefetch_related("milestones")
    if month:
        qs = qs.filter(month=month.replace(day=1))
    if status:
        if status not in ReportStatus.values:
            raise ValidationFailed("状态无效", details={"status": f"取值应为：{'、'.join(ReportStatus.values)}"})
        qs = qs.filter(status=status)
    return [_report(r) for r in qs.order_by("-month", "id")[:1000]]


@router.get("/plan-reports/{pk}", response=ReportOut, summary="月度报送详情")
def report_detail(request, pk: Id):
    return _report(
        get_from_or_404(
            access.visible_reports(request.auth).select_related("task", "organization"), request.auth, pk=pk
        )
    )


@router.post("/plan-reports", response={201: ReportOut}, summary="填写（或修改）月度报送草稿")
@idempotent
def report_save(request, payload: ReportIn):
    task = get_from_or_404(access.visible_tasks(request.auth).select_related("plan"), request.auth, pk=payload.task_id)
    organization = Organization.objects.filter(pk=payload.organization_id).first()
    if organization is None:
        raise ValidationFailed("报送单位不存在", details={"organization_id": "不存在"})
    milestones = list(task.milestones.filter(pk__in=payload.milestone_ids))
    if len(milestones) != len(set(payload.milestone_ids)):
        raise ValidationFailed("节点不属于该任务", details={"milestone_ids": "节点不属于该任务"})
    report = services.report_save(
        actor=request.auth,
        task=task,
        organization=organization,
        month=payload.month,
        summary=payload.summary,
        completed=payload.completed,
        milestones=milestones,
    )
    return Status(201, _report(report))


def _transition(request, pk: Id, call) -> dict:
    report = get_from_or_404(access.visible_reports(request.auth), request.auth, pk=pk)
    call(report)
    return _report(ProgressReport.objects.select_related("task", "organization").get(pk=pk))


@router.post("/plan-reports/{pk}/submit", response=ReportOut, summary="报送")
@idempotent
def report_submit(request, pk: Id, payload: EmptyIn):
    return _transition(request, pk, lambda r: services.report_submit(actor=request.auth, report=r))


@router.post("/plan-reports/{pk}/return", response=ReportOut, summary="退回补充（须填原因）")
@idempotent
def report_return(request, pk: Id, payload: ReasonIn):
    return _transition(
        request, pk, lambda r: services.report_return(actor=request.auth, report=r, reason=payload.reason)
    )


@router.post("/plan-reports/{pk}/accept", response=ReportOut, summary="确认")
@idempotent
def report_accept(request, pk: Id, payload: EmptyIn):
    return _transition(request, pk, lambda r: services.report_accept(actor=request.auth, report=r))
