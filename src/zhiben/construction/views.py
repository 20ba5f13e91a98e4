"""Pages of the construction registers: projects (建筑工地) with their 工程信息, 危大工程,
起重机械, 深基坑监测点 with readings and chart, and the 重大事故隐患 list for the national
database export."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhiben.audit.selectors import record_events
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ServiceError
from zhiben.hazards.models import Hazard
from zhiben.imports.views import export_list
from zhiben.org.models import User
from zhiben.registry.access import visible_units
from zhiben.registry.models import Site
from zhiben.web.toolkit import apply_service_error, paginate

from . import access, selectors, services
from .choices import ITEM_UNITS, MAJOR_HAZARD_CLAUSES, WorkType
from .forms import BasisForm, CraneForm, PointForm, ProjectInfoForm, ReadingForm, WorkForm
from .models import SITE_TYPE, Crane, DangerousWork, PitMonitoringPoint

DENIED = "只有该工地的施工单位、行业主管部门、属地街道或区安委办可以登记"


def _project_or_404(user, pk: int, action: str = "view") -> Site:
    site = get_scoped_or_404(Site, user, action, pk=pk)
    if site.site_type.code != SITE_TYPE:
        raise Http404("不是建筑工地")
    return site


NO_PROJECT = (
    "没有您可登记的建筑工地：只有工地的施工单位、行业主管部门、属地街道或区安委办可以登记。"
    "工地须先在“场所与点位”登记为建筑工地。"
)


def _can_register(user) -> bool:
    """Offer 登记/导入 only to those who may and have a construction site to register on."""
    return access.can_register(user) and access.manageable_projects(user).exists()


# The 37号令/166号令 rules refuse a status; their message goes next to the 状态 field.
STATUS_RULES = ("work_not_ready", "crane_not_ready")


def _refused(form, exc: ServiceError) -> None:
    if getattr(exc, "code", "") in STATUS_RULES and "status" in form.fields:
        form.add_error("status", exc.message)
    else:
        apply_service_error(form, exc)


def _reason(request) -> str:
    return request.POST.get("reason", "")[:300]


def _rendered(request, template: str, context: dict, form) -> object:
    return render(request, template, context, status=422 if form.errors else 200)


# --- Projects -----------------------------------------------------------------------------


@login_required
def project_list(request):
    filterset, qs = selectors.filter_projects(request.user, request.GET)
    context = {
        "filter": filterset,
        "total": qs.count(),
        **paginate(request, qs.select_related("unit", "street", "owner")),
    }
    return render(request, "construction/project_list.html", context)


@login_required
def project_detail(request, pk: int):
    site = _project_or_404(request.user, pk)
    context = {
        "site": site,
        "info": selectors.project_info(site),
        "works": selectors.project_works(request.user, site),
        "cranes": selectors.project_cranes(request.user, site),
        "can_edit": access.can_manage_project(request.user, site),
        "unit_visible": bool(site.unit_id) and visible_units(request.user).filter(pk=site.unit_id).exists(),
        "today": timezone.localdate(),
        "events": record_events("registry.site", site.pk, limit=10),
    }
    return render(request, "construction/project_detail.html", context)


@login_required
def project_edit(request, pk: int):
    site = _project_or_404(request.user, pk)
    if not access.can_manage_project(request.user, site):
        raise PermissionDenied(DENIED)
    info = selectors.project_info(site)
    initial = {f: getattr(info, f) for f in services.INFO_FIELDS} if info else {}
    if info:
        initial["responsible"] = list(info.responsible.all())
    people = selectors.possible_recipients(site)
    form = ProjectInfoForm(request.POST or None, initial=initial, people=people)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "responsible"}
        try:
            services.project_update(
                actor=request.user, site=site, data=data, responsible=list(form.cleaned_data["responsible"])
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "工程信息已保存。")
            return redirect("construction:project_detail", pk=site.pk)
    return _rendered(request, "construction/project_form.html", {"form": form, "site": site}, form)


# --- 危大工程 -------------------------------------------------------------------------------


@login_required
def work_list(request):
    filterset, qs = selectors.filter_works(request.user, request.GET)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": _can_register(request.user),
        **paginate(request, qs.select_related("site")),
    }
    return render(request, "construction/work_list.html", context)


def _initial_site(request, sites) -> dict:
    if request.GET.get("site", "").isdigit():
        return {"site": sites.filter(pk=request.GET["site"]).first()}
    return {}


@login_required
def work_create(request):
    if not access.can_register(request.user):
        raise PermissionDenied(DENIED)
    sites = access.manageable_projects(request.user).order_by("name")
    if not sites.exists():
        messages.warning(request, NO_PROJECT)
        return redirect("construction:work_list")
    form = WorkForm(request.POST or None, sites=sites, initial=_initial_site(request, sites))
    if request.method == "POST" and form.is_valid():
        try:
            work = services.work_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"危大工程“{work.name}”已登记。")
            return redirect("construction:work_detail", pk=work.pk)
    return _rendered(request, "construction/work_form.html", {"form": form, "creating": True}, form)


@login_required
def work_edit(request, pk: int):
    work = get_scoped_or_404(DangerousWork, request.user, "view", pk=pk)
    if not access.can_manage_project(request.user, work.site):
        raise PermissionDenied(DENIED)
    initial = {f: getattr(work, f) for f in services.WORK_FIELDS}
    form = WorkForm(request.POST or None, sites=Site.objects.filter(pk=work.site_id), initial=initial)
    form.fields["site"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "site"}
        try:
            services.work_update(actor=request.user, work=work, data=data, reason=_reason(request))
        except ServiceError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "危大工程信息已修改。")
            return redirect("construction:work_detail", pk=work.pk)
    return _rendered(request, "construction/work_form.html", {"form": form, "work": work, "creating": False}, form)


@login_required
def work_detail(request, pk: int):
    work = get_scoped_or_404(DangerousWork, request.user, "view", pk=pk)
    context = {
        "work": work,
        "points": selectors.work_points(request.user, work) if work.is_pit else [],
        "can_edit": access.can_manage_project(request.user, work.site),
        "not_ready": services.work_not_ready(
            {**{f: getattr(work, f) for f in services.WORK_FIELDS}, "status": "in_progress"}
        ),
        "events": record_events("construction.dangerouswork", work.pk),
    }
    return render(request, "construction/work_detail.html", context)


@login_required
@require_GET
def work_export(request):
    return export_list(request, "dangerous_works")


# --- 起重机械 -------------------------------------------------------------------------------


@login_required
def crane_list(request):
    filterset, qs = selectors.filter_cranes(request.user, request.GET)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": _can_register(request.user),
        "today": timezone.localdate(),
        **paginate(request, qs.select_related("site")),
    }
    return render(request, "construction/crane_list.html", context)


@login_required
def crane_create(request):
    if not access.can_register(request.user):
        raise PermissionDenied(DENIED)
    sites = access.manageable_projects(request.user).order_by("name")
    if not sites.exists():
        messages.warning(request, NO_PROJECT)
        return redirect("construction:crane_list")
    form = CraneForm(request.POST or None, sites=sites, initial=_initial_site(request, sites))
    if request.method == "POST" and form.is_valid():
        try:
            crane = services.crane_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            _refused(form, exc)
        else:
            messages.success(request, f"起重机械“{crane.record_no}”已登记。")
            return redirect("construction:crane_detail", pk=crane.pk)
    return _rendered(request, "construction/crane_form.html", {"form": form, "creating": True}, form)


@login_required
def crane_edit(request, pk: int):
    crane = get_scoped_or_404(Crane, request.user, "view", pk=pk)
    if not access.can_manage_project(request.user, crane.site):
        raise PermissionDenied(DENIED)
    initial = {f: getattr(crane, f) for f in services.CRANE_FIELDS}
    form = CraneForm(request.POST or None, sites=Site.objects.filter(pk=crane.site_id), initial=initial)
    form.fields["site"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "site"}
        try:
            services.crane_update(actor=request.user, crane=crane, data=data, reason=_reason(request))
        except ServiceError as exc:
            _refused(form, exc)
        else:
            messages.success(request, "起重机械信息已修改。")
            return redirect("construction:crane_detail", pk=crane.pk)
    context = {"form": form, "crane": crane, "creating": False}
    return _rendered(request, "construction/crane_form.html", context, form)


@login_required
def crane_detail(request, pk: int):
    crane = get_scoped_or_404(Crane, request.user, "view", pk=pk)
    context = {
        "crane": crane,
        "inspection": crane.inspection_state(),
        "can_edit": access.can_manage_project(request.user, crane.site),
        "events": record_events("construction.crane", crane.pk),
    }
    return render(request, "construction/crane_detail.html", context)


@login_required
@require_GET
def crane_export(request):
    return export_list(request, "cranes")


# --- 深基坑监测 -----------------------------------------------------------------------------


@login_required
def point_create(request):
    if not access.can_register(request.user):
        raise PermissionDenied(DENIED)
    works = selectors.pit_works(request.user).select_related("site")
    if not works.exists():
        messages.warning(request, "没有您可设置监测点的基坑工程：请先在您管理的工地登记类别为“基坑工程”的危大工程。")
        return redirect("construction:work_list")
    initial = {}
    if request.GET.get("work", "").isdigit():
        initial["work"] = works.filter(pk=request.GET["work"]).first()
    form = PointForm(request.POST or None, works=works, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            point = services.point_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"监测点“{point.code}”已设置。")
            return redirect("construction:point_detail", pk=point.pk)
    context = {"form": form, "creating": True, "item_units": ITEM_UNITS}
    return _rendered(request, "construction/point_form.html", context, form)


@login_required
def point_edit(request, pk: int):
    point = get_scoped_or_404(PitMonitoringPoint, request.user, "view", pk=pk)
    if not access.can_manage_project(request.user, point.work.site):
        raise PermissionDenied(DENIED)
    initial = {f: getattr(point, f) for f in services.POINT_FIELDS}
    works = DangerousWork.objects.filter(pk=point.work_id).select_related("site")
    form = PointForm(request.POST or None, works=works, initial=initial)
    form.fields["work"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "work"}
        try:
            services.point_update(actor=request.user, point=point, data=data, reason=_reason(request))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "监测点已修改。")
            return redirect("construction:point_detail", pk=point.pk)
    return _rendered(request, "construction/point_form.html", {"form": form, "point": point, "creating": False}, form)


def _point_page(request, point, form, status=200):
    series = selectors.point_series(point)
    chart = {
        "dates": [r.measured_on.isoformat() for r in series],
        "values": [float(r.value) for r in series],
        "alarms": [r.alarm for r in series],
        "threshold": float(point.alarm_cumulative),
        "unit": point.unit,
    }
    latest = series[-1] if series else None
    context = {
        "point": point,
        "work": point.work,
        "readings": series[::-1],
        "latest": latest,
        "latest_reasons": "；".join(latest.alarm_reason.split("|")) if latest and latest.alarm else "",
        "chart": chart,
        "form": form,
        "can_edit": access.can_manage_project(request.user, point.work.site),
        "events": record_events("construction.pitmonitoringpoint", point.pk, limit=10),
    }
    return render(request, "construction/point_detail.html", context, status=status)


@login_required
def point_detail(request, pk: int):
    point = get_scoped_or_404(PitMonitoringPoint, request.user, "view", pk=pk)
    return _point_page(request, point, ReadingForm(initial={"measured_on": timezone.localdate()}))


@login_required
@require_POST
def reading_add(request, pk: int):
    point = get_scoped_or_404(PitMonitoringPoint, request.user, "view", pk=pk)
    if not access.can_manage_project(request.user, point.work.site):
        raise PermissionDenied("只有该工地的施工单位、行业主管部门、属地街道或区安委办可以记录读数")
    form = ReadingForm(request.POST)
    if form.is_valid():
        try:
            reading = services.reading_record(actor=request.user, point=point, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            if reading.alarm:
                messages.warning(request, "读数已记录，已触发报警：" + "；".join(reading.alarm_reason.split("|")))
            else:
                messages.success(request, "读数已记录。")
            return redirect("construction:point_detail", pk=point.pk)
    return _point_page(request, point, form, status=422)


# --- 重大事故隐患（全国数据库） -------------------------------------------------------------


@login_required
def major_hazards(request):
    filterset, qs = selectors.filter_major_hazards(request.user, request.GET)
    page = paginate(request, qs.select_related("site", "construction_basis"))
    context = {
        "filter": filterset,
        "total": qs.count(),
        "missing_basis": qs.filter(construction_basis__isnull=True).count(),
        "clauses": MAJOR_HAZARD_CLAUSES,
        **page,
    }
    return render(request, "construction/major_hazards.html", context)


@login_required
@require_GET
def major_hazard_export(request):
    return export_list(request, "construction_major_hazards")


@login_required
def hazard_basis(request, pk: int):
    hazard = get_scoped_or_404(Hazard, request.user, "view", pk=pk)
    if not selectors.major_hazards(request.user).filter(pk=hazard.pk).exists():
        raise Http404("不是建筑工地上的重大隐患")
    if not access.can_manage_project(request.user, hazard.site):
        raise PermissionDenied(DENIED)
    basis = getattr(hazard, "construction_basis", None)
    initial = {"clause": basis.clause, "item": basis.item, "measures": basis.measures} if basis else {}
    form = BasisForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.hazard_basis_set(actor=request.user, hazard=hazard, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"隐患 {hazard.code} 的判定依据已保存。")
            return redirect("construction:major_hazards")
    return _rendered(request, "construction/basis_form.html", {"form": form, "hazard": hazard}, form)


__all__ = ["User", "WorkType"]
