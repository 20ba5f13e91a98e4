"""Pages of the plan/task ledger."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhiben.core.access import get_from_or_404
from zhiben.core.errors import ServiceError
from zhiben.files.access import file_link_or_404
from zhiben.files.views import serve_file
from zhiben.org import access as org_access
from zhiben.org.models import Organization
from zhiben.web.access import government_only
from zhiben.web.toolkit import apply_service_error

from . import access, selectors, services
from .choices import ImportStatus, ReportStatus, TaskStatus
from .forms import (
    DueDayForm,
    FulfilForm,
    IndicatorForm,
    IndicatorRuleForm,
    MappingForm,
    ReasonForm,
    ReportForm,
    UploadForm,
)
from .models import InstanceEvidence, PlanImport, ProgressReport, Task
from .parsing import PlanParseError, parse_plan_bytes
from .tabular import export_plan


def _month_param(request, default: dt.date) -> dt.date:
    try:
        return dt.datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return default


def _shift(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


# --- plans ------------------------------------------------------------------------------------


@login_required
@government_only
def plan_list(request):
    plans = (
        access.visible_plans(request.user)
        .select_related("owner", "sector")
        .annotate(task_count=Count("tasks", filter=Q(tasks__removed_at__isnull=True)))
        .order_by("id")
    )
    return render(
        request,
        "plans/list.html",
        {
            "plans": plans,
            "can_import": access.can_import(request.user),
            "can_map": access.can_map_names(request.user),
            "unresolved": len(selectors.unresolved_names()) if access.can_map_names(request.user) else 0,
        },
    )


@login_required
def plan_upload(request):
    if not access.can_import(request.user):
        raise Http404("您无权导入方案")
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = parse_plan_bytes(upload.read(), upload.name)
            outcome = services.plan_import(
                actor=request.user, data=data, source_name=upload.name, owner=form.cleaned_data["owner"]
            )
        except PlanParseError as exc:
            form.add_error("file", f"无法解析：{exc}")
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            if outcome.kind == "revision":
                messages.warning(request, outcome.message)
                return redirect("plans:import_confirm", pk=outcome.pending.pk)
            (messages.info if outcome.kind == "unchanged" else messages.success)(request, outcome.message)
            return redirect("plans:detail", pk=outcome.plan.pk)
    return render(request, "plans/upload.html", {"form": form}, status=422 if form.errors else 200)


@login_required
def import_confirm(request, pk: int):
    pending = get_from_or_404(PlanImport.objects.select_related("plan", "plan__owner"), request.user, pk=pk)
    if not access.can_manage_plan(request.user, pending.plan):
        raise Http404("对象不存在或您无权访问")
    if request.method == "POST" and pending.status == ImportStatus.PENDING:
        try:
            if request.POST.get("action") == "apply":
                services.plan_revision_apply(actor=request.user, pending=pending)
                messages.success(request, "方案已按修订版更新，已有报送与佐证保留在对应任务下。")
            else:
                services.plan_revision_discard(actor=request.user, pending=pending)
                messages.info(request, "已放弃该修订版。")
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("plans:detail", pk=pending.plan_id)
    return render(request, "plans/import_confirm.html", {"pending": pending, "diff": pending.diff})


@login_required
@government_only(not_found=True)
def plan_detail(request, pk: int):
    plan = get_from_or_404(access.visible_plans(request.user).select_related("owner", "sector"), request.user, pk=pk)
    tasks = selectors.plan_tasks(plan)
    today = timezone.localdate()
    instances = selectors.plan_instances(plan)
    status_counts = {s: 0 for s in TaskStatus}
    for task in tasks:
        status_counts[TaskStatus(task.status(today))] += 1
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "tasks": tasks,
            "today": today,
            "status_counts": status_counts,
            "timeline": selectors.timeline(plan, tasks, today),
            "obligations": plan.obligations.filter(is_active=True, task__isnull=True).select_related("organization"),
            "compliance": selectors.compliance(instances, today).get(None),
            "can_manage": access.can_manage_plan(request.user, plan),
            "due_form": DueDayForm(initial={"due_day": plan.report_due_day}),
            "pending_imports": plan.imports.filter(status=ImportStatus.PENDING),
            "this_month": selectors.this_month(today),
        },
    )


@login_required
def plan_export(request, pk: int):
    plan = get_from_or_404(access.visible_plans(request.user), request.user, pk=pk)
    content = export_plan(plan, selectors.plan_tasks(plan))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    from zhiben.files.views import content_disposition

    response["Content-Disposition"] = content_disposition(f"{plan.title}任务分解表.xlsx", as_attachment=True)
    return response


@login_required
@require_POST
def plan_due_day(request, pk: int):
    plan = get_from_or_404(access.visible_plans(request.user), request.user, pk=pk)
    form = DueDayForm(request.POST)
    if form.is_valid():
        try:
            services.plan_set_due_day(actor=request.user, plan=plan, due_day=form.cleaned_data["due_day"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "月度报送日已修改。")
    else:
        messages.error(request, "报送日应为1–31")
    return redirect("plans:detail", pk=pk)


# --- tasks ---------------------------------------------------------------------------------------


def _task_context(request, task: Task, report_form=None) -> dict:
    orgs = access.report_organizations(request.user, task)
    today = timezone.localdate()
    indicators = list(task.indicators.prefetch_related("values__evidence"))
    return {
        "task": task,
        "plan": task.plan,
        "today": today,
        "reports": task.reports.select_related("organization").order_by("-month", "organization__path"),
        "report_form": report_form
        or (
            ReportForm(task=task, organizations=orgs, initial={"month": selectors.this_month(today)}) if orgs else None
        ),
        "obligations": task.obligations.filter(is_active=True).select_related("organization"),
        "indicators": [
            {
                "indicator": i,
                "computed": i.computed(today),
                "can_record": access.can_record_indicator(request.user, i),
                "rule_form": (
                    IndicatorRuleForm(initial={"rule": i.rule}, prefix=f"i{i.pk}")
                    if access.can_set_indicator_rule(request.user, i)
                    else None
                ),
            }
            for i in indicators
        ],
        "indicator_form": IndicatorForm(initial={"measured_on": today}),
    }


@login_required
@government_only(not_found=True)
def task_detail(request, pk: int):
    task = get_from_or_404(selectors.with_related(access.visible_tasks(request.user)), request.user, pk=pk)
    return render(request, "plans/task_detail.html", _task_context(request, task))


@login_required
@require_POST
def task_report(request, pk: int):
    task = get_from_or_404(selectors.with_related(access.visible_tasks(request.user)), request.user, pk=pk)
    form = ReportForm(request.POST, task=task, organizations=access.report_organizations(request.user, task))
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_save(
                actor=request.user,
                task=task,
                organization=data["organization"],
                month=data["month"],
                summary=data["summary"],
                completed=data["completed"],
                milestones=list(data["milestones"]),
            )
            if "submit" in request.POST:
                services.report_submit(actor=request.user, report=report)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "月度进展已报送。" if "submit" in request.POST else "草稿已保存。")
            return redirect("plans:report_detail", pk=report.pk)
    return render(request, "plans/task_detail.html", _task_context(request, task, form), status=422)


@login_required
@government_only
def my_tasks(request):
    memberships = org_access.memberships(request.user, org_access.VIEW_ROLES)
    org_id = request.GET.get("org")
    organization = next((m.organization for m in memberships if str(m.organization_id) == org_id), None)
    tasks = list(
        selectors.with_related(access.my_tasks(request.user, organization)).order_by("plan_id", "sort_order", "id")
    )
    today = timezone.localdate()
    status = request.GET.get("status")
    if status in TaskStatus.values:
        tasks = [t for t in tasks if t.status(today) == status]
    return render(
        request,
        "plans/my_tasks.html",
        {
            "tasks": tasks,
            "memberships": memberships,
            "organization": organization,
            "status": status,
            "statuses": TaskStatus,
            "today": today,
        },
    )


# --- reports ----------------------------------------------------------------------------------------


@login_required
@government_only
def report_list(request):
    today = timezone.localdate()
    month = _month_param(request, selectors.this_month(today))
    mine = access.visible_reports(request.user).select_related("task__plan", "organization").filter(month=month)
    return render(
        request,
        "plans/reports.html",
        {
            "month": month,
            "previous": _shift(month, -1),
            "next": _shift(month, 1),
            "missing": selectors.missing_reports(request.user, month, today),
            "queue": selectors.review_queue(request.user),
            "reports": mine.order_by("organization__path", "task__plan_id", "task__sort_order"),
            "today": today,
        },
    )


def _report_context(request, report: ProgressReport, return_form=None) -> dict:
    return {
        "report": report,
        "can_write": access.can_write_report(request.user, report.organization),
        "can_review": access.can_review_report(request.user, report),
        "return_form": return_form or ReasonForm(),
        "ReportStatus": ReportStatus,
    }


@login_required
@government_only(not_found=True)
def report_detail(request, pk: int):
    report = get_from_or_404(
        access.visible_reports(request.user).select_related("task__plan__owner", "organization", "reviewed_by"),
        request.user,
        pk=pk,
    )
    return render(request, "plans/report_detail.html", _report_context(request, report))


@login_required
@require_POST
def report_action(request, pk: int, name: str):
    report = get_from_or_404(
        access.visible_reports(request.user).select_related("task__plan__owner", "organization"), request.user, pk=pk
    )
    form = None
    try:
        if name == "submit":
            services.report_submit(actor=request.user, report=report)
            messages.success(request, "已报送。")
        elif name == "accept":
            services.report_accept(actor=request.user, report=report)
            messages.success(request, "已确认。")
        elif name == "return":
            form = ReasonForm(request.POST)
            if not form.is_valid():
                messages.error(request, "退回须填写原因")
                return render(request, "plans/report_detail.html", _report_context(request, report, form), status=422)
            services.report_return(actor=request.user, report=report, reason=form.cleaned_data["reason"])
            messages.success(request, "已退回补充。")
        else:
            raise Http404("没有这个操作")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("plans:report_detail", pk=pk)


# --- compliance calendar ---------------------------------------------------------------------------------


@login_required
@government_only
def calendar(request):
    today = timezone.localdate()
    month = _month_param(request, selectors.this_month(today))
    instances = selectors.instances_for(request.user)
    in_month = list(
        instances.filter(due_date__gte=month, due_date__lt=_shift(month, 1))
        .prefetch_related("evidence")
        .order_by("due_date", "obligation__plan_id", "id")
    )
    all_instances = list(instances.filter(due_date__lte=max(today, month)))
    by_org = selectors.compliance(all_instances, today, key=lambda i: i.obligation.organization)
    by_plan = selectors.compliance(all_instances, today, key=lambda i: i.obligation.plan)
    rows = [(i, access.can_fulfil(request.user, i.obligation)) for i in in_month]
    return render(
        request,
        "plans/calendar.html",
        {
            "month": month,
            "previous": _shift(month, -1),
            "next": _shift(month, 1),
            "rows": rows,
            "by_org": sorted(by_org.items(), key=lambda kv: kv[0].path),
            "by_plan": sorted(by_plan.items(), key=lambda kv: kv[0].pk),
            "fulfil_form": FulfilForm(),
            "today": today,
        },
    )


@login_required
@require_POST
def instance_fulfil(request, pk: int):
    instance = get_from_or_404(selectors.instances_for(request.user), request.user, pk=pk)
    form = FulfilForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请填写完成情况并上传佐证材料")
    else:
        try:
            services.instance_fulfil(
                actor=request.user, instance=instance, note=form.cleaned_data["note"], files=form.cleaned_data["files"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已记录“{instance.label}”的完成情况。")
    return redirect(f"{_calendar_url(instance.due_date)}")


def _calendar_url(day: dt.date) -> str:
    from django.urls import reverse

    return f"{reverse('plans:calendar')}?month={day:%Y-%m}"


@login_required
def instance_evidence(request, pk: int, evidence_id: int):
    instance = get_from_or_404(selectors.instances_for(request.user), request.user, pk=pk)
    evidence = file_link_or_404(InstanceEvidence.objects.filter(instance=instance), evidence_id, "材料不存在")
    return serve_file(request, evidence.file, filename=evidence.original_name)


@login_required
@require_POST
def indicator_record(request, pk: int):
    indicator = get_from_or_404(
        access.visible_indicators(request.user).select_related("task__plan"), request.user, pk=pk
    )
    form = IndicatorForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请填写数值和统计日期")
    else:
        try:
            services.indicator_record(actor=request.user, indicator=indicator, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "指标数值已记录。")
    return redirect("plans:task_detail", pk=indicator.task_id)


@login_required
@require_POST
def indicator_rule(request, pk: int):
    indicator = get_from_or_404(
        access.visible_indicators(request.user).select_related("task__plan"), request.user, pk=pk
    )
    form = IndicatorRuleForm(request.POST, prefix=f"i{indicator.pk}")
    if not form.is_valid():
        messages.error(request, "没有这个计算规则")
    else:
        try:
            services.indicator_set_rule(actor=request.user, indicator=indicator, rule=form.cleaned_data["rule"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "计算规则已设置。")
    return redirect("plans:task_detail", pk=indicator.task_id)


# --- name mapping --------------------------------------------------------------------------------------


@login_required
def names(request):
    if not access.can_map_names(request.user):
        raise Http404("对象不存在或您无权访问")
    form = MappingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            linked = services.name_map(
                actor=request.user, name=data["name"], organization=data["organization"], ignored=data["ignored"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{data['name']}”已对照，重新关联 {linked} 处任务单位。")
            return redirect("plans:names")
    return render(
        request,
        "plans/names.html",
        {
            "unresolved": selectors.unresolved_names(),
            "mappings": selectors.name_mappings(),
            "organizations": Organization.objects.filter(is_active=True).order_by("path"),
        },
    )
