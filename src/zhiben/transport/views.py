"""Pages of the road-transport register: vehicles, drivers, violations (list, detail,
create, edit, export), the monthly 高风险 list and the riders' 红黑榜."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from zhiben.audit.selectors import record_events
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ServiceError
from zhiben.imports.views import export_list
from zhiben.registry.crypto import mask_phone
from zhiben.registry.models import Unit
from zhiben.web.access import government_only
from zhiben.web.toolkit import apply_service_error, paginate

from . import access, selectors, services, tabular
from .choices import ViolationSource
from .forms import DriverForm, VehicleForm, ViolationForm
from .models import Driver, Vehicle, Violation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FLEET_DENIED = "只有运输企业、其行业主管部门或区安委办可以登记"


def _reason(request) -> str:
    return request.POST.get("reason", "")[:300]


def _render_form(request, template: str, context: dict):
    form = context["form"]
    return render(request, template, context, status=422 if form.errors else 200)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# --- Vehicles --------------------------------------------------------------------------------------


@login_required
def vehicle_list(request):
    filterset, qs = selectors.filter_vehicles(request.user, request.GET)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": _can_register(request.user),
        "today": timezone.localdate(),
        **paginate(request, qs),
    }
    return render(request, "transport/vehicle_list.html", context)


def _can_register(user) -> bool:
    """Offer 登记/导入 only to those who may and have a unit to register for."""
    return access.can_register_fleet(user) and selectors.units_for_fleet(user).exists()


def _no_units(request, what: str, back: str):
    messages.warning(
        request,
        f"没有您可登记{what}的企业：只能为本企业，或本部门、本街道监管的道路运输企业登记。"
        "请先在“生产经营单位”中登记该企业。",
    )
    return redirect(back)


@login_required
def vehicle_create(request):
    if not access.can_register_fleet(request.user):
        raise PermissionDenied(FLEET_DENIED + "车辆")
    units = selectors.units_for_fleet(request.user)
    if not units.exists():
        return _no_units(request, "车辆", "transport:vehicle_list")
    form = VehicleForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            vehicle = services.vehicle_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"车辆 {vehicle.plate} 已登记。")
            return redirect("transport:vehicle_detail", pk=vehicle.pk)
    return _render_form(request, "transport/vehicle_form.html", {"form": form, "creating": True})


@login_required
def vehicle_edit(request, pk: int):
    vehicle = get_scoped_or_404(Vehicle, request.user, "change", pk=pk)
    if not access.can_manage_fleet(request.user, vehicle.unit):
        raise PermissionDenied("只有该企业、其行业主管部门或区安委办可以修改车辆")
    initial = {f: getattr(vehicle, f) for f in services.VEHICLE_FIELDS}
    form = VehicleForm(request.POST or None, units=Unit.objects.filter(pk=vehicle.unit_id), initial=initial)
    form.fields["unit"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "unit"}
        try:
            services.vehicle_update(actor=request.user, vehicle=vehicle, data=data, reason=_reason(request))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "车辆信息已修改。")
            return redirect("transport:vehicle_detail", pk=vehicle.pk)
    return _render_form(request, "transport/vehicle_form.html", {"form": form, "vehicle": vehicle})


@login_required
def vehicle_detail(request, pk: int):
    vehicle = get_scoped_or_404(Vehicle, request.user, "view", pk=pk)
    context = {
        "vehicle": vehicle,
        "violations": selectors.vehicle_violations(vehicle),
        "can_edit": access.can_manage_fleet(request.user, vehicle.unit),
        "today": timezone.localdate(),
        "events": record_events("transport.vehicle", vehicle.pk),
    }
    return render(request, "transport/vehicle_detail.html", context)


@login_required
@require_GET
def vehicle_export(request):
    return export_list(request, "transport_vehicles")


# --- Drivers ---------------------------------------------------------------------------------------


def _shown(user, driver: Driver, clear_by_unit: dict[int, bool] | None = None) -> dict:
    cache = {} if clear_by_unit is None else clear_by_unit
    if driver.unit_id not in cache:
        cache[driver.unit_id] = access.can_see_contacts(user, driver.unit)
    clear = cache[driver.unit_id]
    return {
        "id_number": driver.id_number if clear else services.mask_id(driver.id_number),
        "phone": driver.phone if clear else mask_phone(driver.phone),
    }


@login_required
def driver_list(request):
    filterset, qs = selectors.filter_drivers(request.user, request.GET)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": _can_register(request.user),
        "today": timezone.localdate(),
        **paginate(request, qs),
    }
    clear: dict[int, bool] = {}
    for driver in context["page_obj"]:
        driver.shown_phone = _shown(request.user, driver, clear)["phone"]
    return render(request, "transport/driver_list.html", context)


@login_required
def driver_create(request):
    if not access.can_register_fleet(request.user):
        raise PermissionDenied(FLEET_DENIED + "驾驶员")
    units = selectors.units_for_fleet(request.user)
    if not units.exists():
        return _no_units(request, "驾驶员", "transport:driver_list")
    form = DriverForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            driver = services.driver_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"驾驶员 {driver.name} 已登记。")
            return redirect("transport:driver_detail", pk=driver.pk)
    return _render_form(request, "transport/driver_form.html", {"form": form, "creating": True})


@login_required
def driver_edit(request, pk: int):
    driver = get_scoped_or_404(Driver, request.user, "change", pk=pk)
    if not access.can_manage_fleet(request.user, driver.unit):
        raise PermissionDenied("只有该企业、其行业主管部门或区安委办可以修改驾驶员")
    initial = {f: getattr(driver, f) for f in services.DRIVER_FIELDS}
    form = DriverForm(request.POST or None, units=Unit.objects.filter(pk=driver.unit_id), initial=initial)
    form.fields["unit"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "unit"}
        try:
            services.driver_update(actor=request.user, driver=driver, data=data, reason=_reason(request))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "驾驶员信息已修改。")
            return redirect("transport:driver_detail", pk=driver.pk)
    return _render_form(request, "transport/driver_form.html", {"form": form, "driver": driver})


@login_required
def driver_detail(request, pk: int):
    driver = get_scoped_or_404(Driver, request.user, "view", pk=pk)
    context = {
        "driver": driver,
        "shown": _shown(request.user, driver),
        "violations": selectors.driver_violations(driver),
        "can_edit": access.can_manage_fleet(request.user, driver.unit),
        "today": timezone.localdate(),
        "events": record_events("transport.driver", driver.pk),
    }
    return render(request, "transport/driver_detail.html", context)


@login_required
@require_GET
def driver_export(request):
    return export_list(request, "transport_drivers")


# --- Violations ------------------------------------------------------------------------------------


@login_required
def violation_list(request):
    filterset, qs = selectors.filter_violations(request.user, request.GET)
    context = {"filter": filterset, "total": qs.count(), **paginate(request, qs)}
    context["can_create"] = access.can_register_fleet(request.user)
    return render(request, "transport/violation_list.html", context)


def _violation_form(request, unit, *, initial=None, data=None):
    sources = (
        None
        if not access.is_enterprise_only(request.user, unit)
        else [(ViolationSource.SELF_CHECK.value, ViolationSource.SELF_CHECK.label)]
    )
    return ViolationForm(
        data,
        vehicles=Vehicle.objects.filter(unit=unit).exclude(status="cancelled").order_by("plate"),
        drivers=Driver.objects.filter(unit=unit).exclude(status="left").order_by("name"),
        sources=sources,
        initial=initial,
    )


@login_required
def violation_create(request):
    """记录违法, from a vehicle's (``?vehicle=``) or a driver's (``?driver=``) page."""
    initial = {"occurred_on": timezone.localdate()}
    vehicle_id, driver_id = request.GET.get("vehicle", ""), request.GET.get("driver", "")
    if vehicle_id.isdigit() and len(vehicle_id) < 19:
        subject = get_scoped_or_404(Vehicle, request.user, "change", pk=int(vehicle_id))
        initial["vehicle"] = subject.pk
    elif driver_id.isdigit() and len(driver_id) < 19:
        subject = get_scoped_or_404(Driver, request.user, "change", pk=int(driver_id))
        initial["driver"] = subject.pk
    else:
        messages.info(request, "请在车辆或驾驶员页面点击“记录违法”。")
        return redirect("transport:vehicle_list")
    unit = subject.unit
    if not access.can_manage_fleet(request.user, unit):
        raise PermissionDenied("只有该企业、其行业主管部门或区安委办可以记录违法")
    if access.is_enterprise_only(request.user, unit):
        initial["source"] = ViolationSource.SELF_CHECK
    form = _violation_form(request, unit, initial=initial, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            violation = services.violation_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "违法记录已保存。")
            return redirect("transport:violation_detail", pk=violation.pk)
    return _render_form(request, "transport/violation_form.html", {"form": form, "unit": unit, "creating": True})


@login_required
def violation_edit(request, pk: int):
    violation = get_scoped_or_404(Violation, request.user, "change", pk=pk)
    if not access.can_edit_violation(request.user, violation):
        raise PermissionDenied("您不能修改这条违法记录（企业用户只能修改本企业自查记录）")
    initial = {f: getattr(violation, f) for f in services.VIOLATION_FIELDS}
    form = _violation_form(request, violation.unit, initial=initial, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.violation_update(
                actor=request.user, violation=violation, data=dict(form.cleaned_data), reason=_reason(request)
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "违法记录已修改。")
            return redirect("transport:violation_detail", pk=violation.pk)
    context = {"form": form, "unit": violation.unit, "violation": violation}
    return _render_form(request, "transport/violation_form.html", context)


@login_required
def violation_detail(request, pk: int):
    violation = get_scoped_or_404(Violation, request.user, "view", pk=pk)
    context = {
        "violation": violation,
        "can_edit": access.can_edit_violation(request.user, violation),
        "events": record_events("transport.violation", violation.pk),
    }
    return render(request, "transport/violation_detail.html", context)


@login_required
@require_GET
def violation_export(request):
    return export_list(request, "transport_violations")


# --- Monthly reports ------------------------------------------------------------------------------


def _month(request, today):
    """The month asked for (``?month=YYYY-MM``); an invalid or future one is said so, not
    silently replaced by the current month."""
    raw = request.GET.get("month", "")
    month = selectors.parse_month(raw, today)
    if raw and raw != f"{month:%Y-%m}":
        messages.warning(
            request, f"月份“{raw[:20]}”无效（可选 2000年1月 至本月），已显示 {month.year}年{month.month}月。"
        )
    return month


@login_required
@require_GET
def high_risk(request):
    today = timezone.localdate()
    month = _month(request, today)
    rows = selectors.high_risk(request.user, month, today)
    kind = request.GET.get("kind", "")
    if kind in ("vehicle", "driver"):
        rows = [r for r in rows if r.kind == kind]
    if request.GET.get("format") == "xlsx":
        out = io.BytesIO()
        count = tabular.write_high_risk(rows, out)
        services.report_export(actor=request.user, report="high_risk", month=month, rows=count)
        return _xlsx(out.getvalue(), f"道路运输高风险清单_{month:%Y%m}.xlsx")
    context = {
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "month_end": selectors.month_bounds(month)[1],
        "max_month": f"{today:%Y-%m}",
        "kind": kind,
        "rules": selectors.RULES,
        "n_vehicles": sum(1 for r in rows if r.kind == "vehicle"),
        "n_drivers": sum(1 for r in rows if r.kind == "driver"),
        **paginate(request, rows),
    }
    return render(request, "transport/high_risk.html", context)


@login_required
@government_only
@require_GET
def rider_ranking(request):
    today = timezone.localdate()
    month = _month(request, today)
    ranking = selectors.rider_ranking(request.user, month)
    if request.GET.get("format") == "xlsx":
        out = io.BytesIO()
        count = tabular.write_ranking(ranking, out)
        services.report_export(actor=request.user, report="rider_ranking", month=month, rows=count)
        return _xlsx(out.getvalue(), f"骑手交通违法红黑榜_{month:%Y%m}.xlsx")
    filterset, records = selectors.filter_riders(request.user, request.GET, month)
    context = {
        "ranking": ranking,
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "max_month": f"{today:%Y-%m}",
        "filter": filterset,
        "records_total": records.count(),
        "can_import": access.can_import_riders(request.user),
        "black_size": selectors.BLACK_SIZE,
        **paginate(request, records),
    }
    return render(request, "transport/rider_ranking.html", context)
