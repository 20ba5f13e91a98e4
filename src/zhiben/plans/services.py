"""Service functions of the plan/task ledger: every change goes through one
of these (see docs/architecture.md for the pattern, docs/plans.md for the
rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.files.services import store_uploads
from zhiben.notify import services as notify
from zhiben.org.choices import Role
from zhiben.org.models import Organization, User

from . import access, indicator_rules
from .choices import ImportStatus, Period, ReportStatus, UnitRole
from .importing import compute_diff, match_tasks, resolve_unit, sector_for_title
from .models import (
    Indicator,
    IndicatorEvidence,
    IndicatorValue,
    InstanceEvidence,
    Milestone,
    Obligation,
    ObligationInstance,
    OrgNameMapping,
    Plan,
    PlanImport,
    ProgressReport,
    Task,
    TaskUnit,
)
from .schedule import occurrences

REPORT_FIELDS = ["status", "summary", "completed", "submitted_at", "return_reason", "reviewed_by", "reviewed_at"]
PLAN_FIELDS = ["title", "owner", "sector", "period_start", "period_end", "report_due_day", "source_sha256", "version"]


# --- import ------------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """``kind``: "created" (new plan), "unchanged" (same document again),
    "revision" (a pending PlanImport awaits confirmation) or "updated"."""

    kind: str
    plan: Plan
    message: str
    pending: PlanImport | None = None


def _period(data: dict) -> tuple[dt.date, dt.date]:
    period = data.get("period") or {}
    try:
        return dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])
    except (KeyError, TypeError, ValueError):
        return dt.date(2024, 1, 1), dt.date(2026, 12, 31)


def parsed_due_day(data: dict) -> int | None:
    """The monthly reporting day from the plan-level duties: a monthly duty
    with a due day, preferring one about 工作开展情况/任务清单 (ecology has both
    "每月5日向市生态环境局报送统计表" and "每月28日前向区应急局报送工作开展情况")."""
    monthly = [d for d in data.get("recurring") or [] if d.get("period") == "month" and d.get("due_day")]
    for duty in monthly:
        if "任务" in duty.get("text", "") or "工作开展情况" in duty.get("text", ""):
            return duty["due_day"]
    return monthly[0]["due_day"] if monthly else None


def _owner_for(data: dict, owner: Organization | None):
    sector = sector_for_title(data.get("title", ""))
    if owner is None and sector is not None:
        owner = sector.owner
    if owner is None:
        raise ValidationFailed(
            "无法从方案标题确定牵头部门，请选择牵头部门", details={"owner": "请选择牵头部门"}, code="owner_required"
        )
    return sector, owner


def _mappings() -> dict[str, OrgNameMapping]:
    return {m.name: m for m in OrgNameMapping.objects.select_related("organization")}


def _set_units(task: Task, item: dict, owner: Organization, mappings) -> None:
    task.units.all().delete()
    leads = [n for n in dict.fromkeys(item.get("lead_units") or []) if n.strip()]
    rows = []
    if not leads:
        rows.append(
            TaskUnit(task=task, role=UnitRole.LEAD, name=owner.display_name, organization=owner, is_default=True)
        )
    for i, name in enumerate(leads):
        rows.append(
            TaskUnit(
                task=task,
                role=UnitRole.LEAD,
                name=name,
                organization=resolve_unit(name, owner, mappings).organization,
                sort_order=i,
            )
        )
    for i, name in enumerate(n for n in dict.fromkeys(item.get("participating_units") or []) if n.strip()):
        if name in leads:
            continue
        rows.append(
            TaskUnit(
                task=task,
                role=UnitRole.PARTICIPATING,
                name=name,
                organization=resolve_unit(name, owner, mappings).organization,
                sort_order=i,
            )
        )
    TaskUnit.objects.bulk_create(rows)


def _task_org(task: Task) -> Organization:
    lead = task.units.filter(role=UnitRole.LEAD, organization__isnull=False).select_related("organization").first()
    return lead.organization if lead else task.plan.owner


def _sync_milestones(task: Task, deadlines: list[dict]) -> None:
    existing = list(task.milestones.all())
    keep: set[int] = set()
    for i, item in enumerate(d for d in deadlines if d.get("date")):
        due = dt.date.fromisoformat(item["date"])
        same = [m for m in existing if m.due_date == due and m.pk not in keep]
        found = next((m for m in same if m.text == item.get("text", "")), same[0] if same else None)
        if found is None:
            found = Milestone.objects.create(task=task, due_date=due, text=item.get("text", ""), sort_order=i)
        elif found.text != item.get("text", "") or found.sort_order != i:
            found.text, found.sort_order = item.get("text", ""), i
            found.save(update_fields=["text", "sort_order"])
        keep.add(found.pk)
    task.milestones.exclude(pk__in=keep).delete()


def _sync_indicators(task: Task, targets: list[dict]) -> None:
    existing = list(task.indicators.all())
    keep: set[int] = set()
    for item in targets:
        try:
            value = Decimal(str(item.get("value")))
        except (InvalidOperation, TypeError):
            continue
        fields = {
            "text": item.get("text", ""),
            "target_value": value,
            "target_max": Decimal(str(item["value_max"])) if item.get("value_max") is not None else None,
            "unit": item.get("unit") or "",
            "target_date": dt.date.fromisoformat(item["date"]) if item.get("date") else None,
        }
        found = next((i for i in existing if i.text == fields["text"] and i.pk not in keep), None)
        if found is None:
            # A new indicator whose text clearly names a rule gets it (indicator_rules.suggest_rule).
            rule = indicator_rules.suggest_rule(fields["text"], value, fields["unit"])
            found = Indicator.objects.create(task=task, rule=rule, **fields)
        else:
            for k, v in fields.items():
                setattr(found, k, v)
            found.save()
        keep.add(found.pk)
    task.indicators.exclude(pk__in=keep).filter(values__isnull=True).delete()


def generate_instances(obligation: Obligation) -> int:
    """Create the obligation's dated instances over the plan period
    (idempotent); unfulfilled instances no longer on the schedule go."""
    plan = obligation.plan
    wanted = occurrences(
        period=obligation.period,
        start=plan.period_start,
        end=plan.period_end,
        every=obligation.every,
        times=obligation.times,
        due_day=obligation.due_day,
        dates=obligation.dates,
        options=obligation.options,
    )
    have = set(obligation.instances.values_list("due_date", flat=True))
    new = [
        ObligationInstance(obligation=obligation, label=o.label, period_start=o.period_start, due_date=o.due_date)
        for o in wanted
        if o.due_date not in have
    ]
    ObligationInstance.objects.bulk_create(new)
    obligation.instances.filter(fulfilled_at__isnull=True).exclude(due_date__in=[o.due_date for o in wanted]).delete()
    return len(new)


def _sync_obligations(plan: Plan, task: Task | None, duties: list[dict], organization: Organization) -> None:
    qs = Obligation.objects.filter(plan=plan, task=task)
    existing = list(qs)
    keep: set[int] = set()
    for duty in duties:
        if duty.get("period") not in Period.values:
            continue
        fields = {
            "organization": organization,
            "period": duty["period"],
            "every": duty.get("every") or 1,
            "times": duty.get("times") or 1,
            "due_day": duty.get("due_day"),
            "dates": duty.get("dates") or [],
            "options": {k: duty[k] for k in ("weekday", "ten_day_cycle", "from_year", "at_period_end") if k in duty},
            "text": duty.get("text", ""),
            "is_active": True,
        }
        found = next(
            (o for o in existing if o.pk not in keep and o.text == fields["text"] and o.period == fields["period"]),
            None,
        )
        if found is None:
            found = Obligation.objects.create(plan=plan, task=task, **fields)
        else:
            for k, v in fields.items():
                setattr(found, k, v)
            found.save()
        keep.add(found.pk)
        generate_instances(found)
    qs.exclude(pk__in=keep).update(is_active=False)


def _fill_task(plan: Plan, task: Task, item: dict, mappings) -> None:
    _set_units(task, item, plan.owner, mappings)
    _sync_milestones(task, item.get("deadlines") or [])
    _sync_indicators(task, item.get("targets") or [])
    _sync_obligations(plan, task, item.get("recurring") or [], _task_org(task))


def _task_fields(item: dict, order: int) -> dict:
    return {
        "section": (item.get("section") or "")[:200],
        "number": (item.get("number") or "")[:20],
        "title": (item.get("title") or item.get("text", "")[:60] or "（无标题）")[:300],
        "text": item.get("text") or "",
        "sort_order": order,
    }


def _counts(plan: Plan) -> dict:
    tasks = plan.tasks.filter(removed_at__isnull=True)
    return {
        "tasks": tasks.count(),
        "milestones": Milestone.objects.filter(task__in=tasks).count(),
        "obligations": plan.obligations.filter(is_active=True).count(),
        "indicators": Indicator.objects.filter(task__in=tasks).count(),
        "unresolved": TaskUnit.objects.filter(task__in=tasks, organization__isnull=True).count(),
    }


def _create_plan(*, actor, data: dict, source_name: str, owner: Organization | None) -> Plan:
    sector, owner = _owner_for(data, owner)
    require(actor is None or access.can_import(actor, owner), "您只能导入本部门牵头的方案")
    start, end = _period(data)
    plan = Plan.objects.create(
        title=data["title"][:200],
        sector=sector,
        owner=owner,
        period_start=start,
        period_end=end,
        report_due_day=parsed_due_day(data),
        source_name=source_name[:255],
        source_sha256=data["source"]["sha256"],
        source_chars=data["source"].get("chars") or 0,
        leading_group=data.get("leading_group") or {},
        goals=data.get("goals") or [],
        imported_by=actor,
    )
    mappings = _mappings()
    for order, item in enumerate(data.get("tasks") or []):
        task = Task.objects.create(plan=plan, **_task_fields(item, order))
        _fill_task(plan, task, item, mappings)
    _sync_obligations(plan, None, data.get("recurring") or [], owner)
    return plan


@service("plan.import")
def plan_import(
    *,
    actor: User | None,
    data: dict,
    source_name: str = "",
    owner: Organization | None = None,
    apply_revision: bool = False,
) -> ImportOutcome:
    """Import a parsed plan (``parse_plan_*`` output). A new title creates
    the plan; the same document again changes nothing; a revised document
    (same title, other hash) is kept as a pending import with its diff,
    applied only after confirmation (or at once with ``apply_revision``).
    ``actor`` None = the command line (system)."""
    if not data.get("title") or not (data.get("source") or {}).get("sha256"):
        raise ValidationFailed("解析结果缺少方案标题或文档哈希", details={"file": "无法识别方案标题"})
    plan = Plan.objects.select_for_update().filter(title=data["title"][:200]).first()
    if plan is None:
        plan = _create_plan(actor=actor, data=data, source_name=source_name, owner=owner)
        counts = _counts(plan)
        audit_record(
            action="plan.import",
            actor=actor,
            actor_name="system",
            obj=plan,
            after={**snapshot(plan, PLAN_FIELDS), **counts},
        )
        return ImportOutcome(
            "created",
            plan,
            f"已导入方案：任务 {counts['tasks']} 项，节点 {counts['milestones']} 个，常态化任务 {counts['obligations']} 项"
            + (f"；{counts['unresolved']} 个单位名称待对照" if counts["unresolved"] else ""),
        )
    require(actor is None or access.can_manage_plan(actor, plan), "您不能更新该方案")
    if plan.source_sha256 == data["source"]["sha256"]:
        return ImportOutcome("unchanged", plan, "该方案已导入且内容相同，未做任何更改")
    diff = compute_diff(plan, data)
    diff["base_sha256"] = plan.source_sha256
    pending = PlanImport.objects.create(
        plan=plan,
        source_name=source_name[:255],
        sha256=data["source"]["sha256"],
        parsed=data,
        diff=diff,
        created_by=actor,
    )
    if apply_revision:
        _apply_revision(actor, pending)
        return ImportOutcome("updated", plan, _diff_message(diff, "已按修订版更新方案"), pending)
    audit_record(
        action="plan.import_prepare",
        actor=actor,
        actor_name="system",
        obj=plan,
        after={"import": pending.pk, **_diff_counts(diff)},
    )
    return ImportOutcome("revision", plan, _diff_message(diff, "发现修订版，请确认差异后更新"), pending)


def _diff_counts(diff: dict) -> dict:
    return {k: len(diff.get(k) or []) for k in ("added", "removed", "changed")}


def _diff_message(diff: dict, lead: str) -> str:
    c = _diff_counts(diff)
    return f"{lead}：新增任务 {c['added']} 项，删去 {c['removed']} 项，变化 {c['changed']} 项"


def _apply_revision(actor, pending: PlanImport) -> Plan:
    plan = Plan.objects.select_for_update().get(pk=pending.plan_id)
    if pending.status != ImportStatus.PENDING:
        raise ConflictError("该修订已处理", code="invalid_transition")
    if pending.diff.get("base_sha256") != plan.source_sha256:
        raise ConflictError("方案在此期间已被更新，请重新上传修订版", code="stale_import")
    data = pending.parsed
    before = snapshot(plan, PLAN_FIELDS)
    start, end = _period(data)
    plan.period_start, plan.period_end = start, end
    plan.source_sha256 = data["source"]["sha256"]
    plan.source_chars = data["source"].get("chars") or 0
    plan.source_name = pending.source_name or plan.source_name
    plan.leading_group = data.get("leading_group") or {}
    plan.goals = data.get("goals") or []
    if plan.report_due_day is None:
        plan.report_due_day = parsed_due_day(data)
    plan.version += 1
    plan.save()
    mappings = _mappings()
    existing = list(plan.tasks.filter(removed_at__isnull=True).prefetch_related("units"))
    match = match_tasks(existing, data.get("tasks") or [])
    order = {id(item): i for i, item in enumerate(data.get("tasks") or [])}
    for task, item in match.pairs:
        for k, v in _task_fields(item, order[id(item)]).items():
            setattr(task, k, v)
        task.save()
        _fill_task(plan, task, item, mappings)
    for item in match.added:
        task = Task.objects.create(plan=plan, **_task_fields(item, order[id(item)]))
        _fill_task(plan, task, item, mappings)
    now = timezone.now()
    for task in match.removed:
        task.removed_at = now
        task.save(update_fields=["removed_at"])
        task.obligations.update(is_active=False)
    _sync_obligations(plan, None, data.get("recurring") or [], plan.owner)
    pending.status, pending.decided_at = ImportStatus.APPLIED, now
    pending.save(update_fields=["status", "decided_at"])
    audit_record(
        action="plan.revise",
        actor=actor,
        actor_name="system",
        obj=plan,
        before=before,
        after={**snapshot(plan, PLAN_FIELDS), "import": pending.pk, **_diff_counts(pending.diff)},
    )
    return plan


@service("plan.revise")
def plan_revision_apply(*, actor: User, pending: PlanImport) -> Plan:
    """确认修订: update the plan in place (tasks matched by section+number,
    then title); reports and evidence of surviving tasks stay attached."""
    require(access.can_manage_plan(actor, pending.plan), "您不能更新该方案")
    pending = PlanImport.objects.select_for_update().get(pk=pending.pk)
    return _apply_revision(actor, pending)


@service("plan.revision_discard")
def plan_revision_discard(*, actor: User, pending: PlanImport) -> PlanImport:
    require(access.can_manage_plan(actor, pending.plan), "您不能更新该方案")
    pending = PlanImport.objects.select_for_update().get(pk=pending.pk)
    if pending.status != ImportStatus.PENDING:
        raise ConflictError("该修订已处理", code="invalid_transition")
    pending.status, pending.decided_at = ImportStatus.DISCARDED, timezone.now()
    pending.save(update_fields=["status", "decided_at"])
    audit_record(action="plan.revision_discard", actor=actor, obj=pending.plan, after={"import": pending.pk})
    return pending


@service("plan.set_due_day")
def plan_set_due_day(*, actor: User, plan: Plan, due_day: int | None) -> Plan:
    """Change the monthly reporting day; reports not yet submitted follow."""
    require(access.can_manage_plan(actor, plan), "只有区安委办或方案牵头部门领导可以修改报送日")
    if due_day is not None and not 1 <= due_day <= 31:
        raise ValidationFailed("报送日应为1–31", details={"due_day": "报送日应为1–31"})
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    before = snapshot(plan, ["report_due_day"])
    plan.report_due_day = due_day
    plan.save(update_fields=["report_due_day", "updated_at"])
    for report in ProgressReport.objects.filter(task__plan=plan, first_submitted_at__isnull=True):
        report.due_date = plan.report_due_date(report.month)
        report.save(update_fields=["due_date"])
    audit_record(
        action="plan.set_due_day", actor=actor, obj=plan, before=before, after=snapshot(plan, ["report_due_day"])
    )
    return plan


# --- names --------------------------------------------------------------------------------------


@service("plan.name_map")
def name_map(*, actor: User, name: str, organization: Organization | None = None, ignored: bool = False) -> int:
    """Map a name to an organization (or mark it as a collective word) and
    re-link every task unit with that name; returns how many were linked."""
    require(access.can_map_names(actor), "只有区安委办管理员可以维护名称对照")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写名称", details={"name": "请填写名称"})
    if (organization is None) == (not ignored):
        raise ValidationFailed("请选择对应组织，或标记为泛指", details={"organization": "请选择对应组织"})
    mapping = OrgNameMapping.objects.select_for_update().filter(name=name).first()
    before = snapshot(mapping, ["organization", "ignored"]) if mapping else None
    if mapping is None:
        mapping = OrgNameMapping(name=name, created_by=actor)
    mapping.organization, mapping.ignored = organization, ignored
    mapping.save()
    linked = 0
    if organization is not None:
        units = TaskUnit.objects.filter(name=name, organization__isnull=True)
        task_ids = set(units.filter(role=UnitRole.LEAD).values_list("task_id", flat=True))
        linked = units.update(organization=organization)
        for task in Task.objects.filter(pk__in=task_ids).select_related("plan"):
            task.obligations.update(organization=_task_org(task))
    audit_record(
        action="plan.name_map",
        actor=actor,
        obj=mapping,
        before=before,
        after={**snapshot(mapping, ["organization", "ignored"]), "linked": linked},
    )
    return linked


# --- monthly reports ------------------------------------------------------------------------------


def _lock_report(report: ProgressReport) -> ProgressReport:
    return (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("task__plan__owner", "organization")
        .get(pk=report.pk)
    )


def report_url(report: ProgressReport) -> str:
    return reverse("plans:report_detail", args=[report.pk])


@service("plan_report.save")
def report_save(
    *,
    actor: User,
    task: Task,
    organization: Organization,
    month: dt.date,
    summary: str,
    completed: bool = False,
    milestones: Sequence[Milestone] = (),
) -> ProgressReport:
    """Write (or rewrite) the draft of a monthly report."""
    require(access.can_write_report(actor, organization), "只有牵头单位的工作人员可以填报")
    if task.removed_at is not None:
        raise ConflictError("该任务已在修订版中删去", code="task_removed")
    if organization not in task.lead_organizations():
        raise ValidationFailed("报送单位须为该任务的牵头单位", details={"organization": "不是牵头单位"})
    month = month.replace(day=1)
    plan = task.plan
    today = timezone.localdate()
    if month < plan.period_start.replace(day=1) or month > plan.period_end or month > today:
        raise ValidationFailed("月份不在方案期内或尚未到来", details={"month": "月份无效"})
    if not (summary or "").strip():
        raise ValidationFailed("请填写工作进展", details={"summary": "请填写工作进展"})
    if any(m.task_id != task.pk for m in milestones):
        raise ValidationFailed("节点不属于该任务", details={"milestones": "节点不属于该任务"})
    report = (
        ProgressReport.objects.select_for_update().filter(task=task, organization=organization, month=month).first()
    )
    before = None
    if report is None:
        report = ProgressReport(
            task=task, organization=organization, month=month, due_date=plan.report_due_date(month), created_by=actor
        )
    else:
        if report.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED):
            raise ConflictError(f"“{report.get_status_display()}”的报送不能修改", code="invalid_transition")
        before = snapshot(report, REPORT_FIELDS)
    report.summary, report.completed = summary.strip(), bool(completed)
    report.save()
    report.milestones.set(list(milestones))
    audit_record(
        action="plan_report.save",
        actor=actor,
        obj=report,
        before=before,
        after={**snapshot(report, REPORT_FIELDS), "milestones": [m.pk for m in milestones]},
    )
    return report


@service("plan_report.submit")
def report_submit(*, actor: User, report: ProgressReport) -> ProgressReport:
    report = _lock_report(report)
    require(access.can_write_report(actor, report.organization), "只有牵头单位的工作人员可以报送")
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise ConflictError(f"“{report.get_status_display()}”的报送不能再次报送", code="invalid_transition")
    before = snapshot(report, REPORT_FIELDS)
    now = timezone.now()
    report.status, report.submitted_at = ReportStatus.SUBMITTED, now
    report.first_submitted_at = report.first_submitted_at or now
    report.save()
    audit_record(
        action="plan_report.submit",
        actor=actor,
        obj=report,
        before=before,
        after={**snapshot(report, REPORT_FIELDS), "late": report.is_late},
    )
    owner = report.task.plan.owner
    transaction.on_commit(
        lambda: notify.notify(
            notify.recipients_in(owner, roles=(Role.DEPT_LEADER,)),
            title=f"月度报送待确认：{report.organization} {report.task.title}",
            url=report_url(report),
            target=report,
            kind="plan_report.submit",
            exclude=actor,
        )
    )
    return report


@service("plan_report.return")
def report_return(*, actor: User, report: ProgressReport, reason: str) -> ProgressReport:
    """退回补充 (reason required)."""
    report = _lock_report(report)
    require(access.can_review_report(actor, report), "只有区安委办或方案牵头部门领导可以退回")
    if report.status != ReportStatus.SUBMITTED:
        raise ConflictError(f"“{report.get_status_display()}”的报送不能退回", code="invalid_transition")
    if not (reason or "").strip():
        raise ValidationFailed("退回须填写原因", details={"reason": "退回须填写原因"})
    before = snapshot(report, REPORT_FIELDS)
    report.status, report.return_reason = ReportStatus.RETURNED, reason.strip()
    report.reviewed_by, report.reviewed_at = actor, timezone.now()
    report.save()
    audit_record(
        action="plan_report.return",
        actor=actor,
        obj=report,
        before=before,
        after=snapshot(report, REPORT_FIELDS),
        reason=reason.strip(),
    )
    organization = report.organization
    transaction.on_commit(
        lambda: notify.notify(
            notify.recipients_in(organization),
            title=f"月度报送被退回补充：{report.task.title}",
            body=reason.strip(),
            url=report_url(report),
            target=report,
            kind="plan_report.return",
            exclude=actor,
        )
    )
    return report


@service("plan_report.accept")
def report_accept(*, actor: User, report: ProgressReport) -> ProgressReport:
    """确认: the milestones the report names count as met on its submission
    date; a report saying the task is done completes the task."""
    report = _lock_report(report)
    require(access.can_review_report(actor, report), "只有区安委办或方案牵头部门领导可以确认")
    if report.status != ReportStatus.SUBMITTED:
        raise ConflictError(f"“{report.get_status_display()}”的报送不能确认", code="invalid_transition")
    before = snapshot(report, REPORT_FIELDS)
    done_on = timezone.localtime(report.submitted_at).date()
    report.status, report.reviewed_by, report.reviewed_at = ReportStatus.ACCEPTED, actor, timezone.now()
    report.save()
    met = list(report.milestones.filter(met_on__isnull=True).values_list("pk", flat=True))
    Milestone.objects.filter(pk__in=met).update(met_on=done_on)
    task = Task.objects.select_for_update().get(pk=report.task_id)
    completed = report.completed and task.completed_on is None
    if completed:
        task.completed_on = done_on
        task.save(update_fields=["completed_on"])
    audit_record(
        action="plan_report.accept",
        actor=actor,
        obj=report,
        before=before,
        after={**snapshot(report, REPORT_FIELDS), "milestones_met": met, "task_completed": completed},
    )
    return report


# --- obligations and indicators -------------------------------------------------------------------------


@service("obligation.fulfil")
def instance_fulfil(*, actor: User, instance: ObligationInstance, note: str, files: Sequence) -> ObligationInstance:
    """Fulfil a dated instance with a note and evidence (photos/PDFs)."""
    instance = (
        ObligationInstance.objects.select_for_update(of=("self",))
        .select_related("obligation__organization")
        .get(pk=instance.pk)
    )
    require(access.can_fulfil(actor, instance.obligation), "只有责任单位的工作人员可以填报完成情况")
    if instance.fulfilled_at is not None:
        raise ConflictError("该期次已完成", code="already_fulfilled")
    if not (note or "").strip():
        raise ValidationFailed("请填写完成情况", details={"note": "请填写完成情况"})
    if not files:
        raise ValidationFailed("请上传佐证材料", details={"files": "请上传佐证材料"})
    stored = store_uploads(list(files))
    instance.fulfilled_at, instance.fulfilled_by, instance.note = timezone.now(), actor, note.strip()
    instance.save()
    for upload, stored_file in zip(files, stored, strict=True):
        InstanceEvidence.objects.create(
            instance=instance, file=stored_file, original_name=upload.name[:255], uploaded_by=actor
        )
    audit_record(
        action="obligation.fulfil",
        actor=actor,
        obj=instance,
        after={"due_date": instance.due_date, "state": instance.state(), "files": len(stored)},
    )
    return instance


@service("indicator.record")
def indicator_record(
    *, actor: User, indicator: Indicator, value: Decimal, measured_on: dt.date, note: str = "", files: Sequence = ()
) -> IndicatorValue:
    require(access.can_record_indicator(actor, indicator), "只有牵头单位的工作人员可以填报指标")
    if indicator.rule and not (note or "").strip():
        raise ValidationFailed("该指标按规则自动计算，手工填报须说明理由", details={"note": "请填写手工填报的理由"})
    if measured_on > timezone.localdate():
        raise ValidationFailed("统计日期不能晚于今天", details={"measured_on": "不能晚于今天"})
    if value is None or value < 0:
        raise ValidationFailed("数值无效", details={"value": "数值无效"})
    stored = store_uploads(list(files)) if files else []
    row = IndicatorValue.objects.create(
        indicator=indicator, value=value, measured_on=measured_on, note=(note or "").strip(), entered_by=actor
    )
    for upload, stored_file in zip(files, stored, strict=True):
        IndicatorEvidence.objects.create(
            value=row, file=stored_file, original_name=upload.name[:255], uploaded_by=actor
        )
    audit_record(
        action="indicator.record",
        actor=actor,
        obj=indicator,
        after={"value": value, "measured_on": measured_on, "state": indicator.state(), "files": len(stored)},
    )
    return row


@service("indicator.set_rule")
def indicator_set_rule(*, actor: User, indicator: Indicator, rule: str) -> Indicator:
    """Set (or clear, with "") the rule that computes the indicator from the ledgers."""
    indicator = Indicator.objects.select_for_update(of=("self",)).select_related("task__plan").get(pk=indicator.pk)
    require(access.can_set_indicator_rule(actor, indicator), "只有牵头单位的工作人员或区安委办管理员可以设置计算规则")
    rule = (rule or "").strip()
    if rule and rule not in indicator_rules.RULES:
        raise ValidationFailed("没有这个计算规则", details={"rule": "没有这个计算规则"})
    if rule == indicator.rule:
        return indicator
    before = {"rule": indicator.rule}
    indicator.rule = rule
    indicator.save(update_fields=["rule"])
    result = indicator.computed()
    audit_record(
        action="indicator.set_rule",
        actor=actor,
        obj=indicator,
        before=before,
        after={
            "rule": rule,
            "numerator": result.numerator if result else None,
            "denominator": result.denominator if result else None,
            "state": indicator.state(),
        },
    )
    return indicator
