"""Pages of the registry: units (list, create, edit, 一企一档 with flags,
documents and risk), sites, 有限空间 with their 作业审批, grids, risk assessments, the 高风险 list and the
盲区 report."""

from __future__ import annotations

from django.apps import apps
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
from zhiben.files.access import file_link_or_404
from zhiben.files.views import serve_file
from zhiben.imports.views import export_list
from zhiben.web.access import government_only
from zhiben.web.toolkit import apply_service_error, paginate

from . import access, reports, selectors, services
from .crypto import mask_phone
from .forms import (
    AssessmentForm,
    ConfinedPermitEditForm,
    ConfinedPermitForm,
    ConfinedSpaceForm,
    DocumentForm,
    FlagForm,
    GridForm,
    PermitWithdrawForm,
    ReasonForm,
    SiteForm,
    UnitForm,
)
from .models import ConfinedSpace, ConfinedSpaceWorkPermit, Grid, Site, SiteType, Unit, UnitDocument, UnitFlag
from .selectors import filtered_sites, filtered_units

# --- Units --------------------------------------------------------------------------------


@login_required
def unit_list(request):
    filterset, qs = filtered_units(request)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": access.can_register_units(request.user),
        **paginate(request, qs.select_related("owner", "street", "sector").prefetch_related("tags")),
    }
    return render(request, "registry/unit_list.html", context)


def _unit_form_data(form: UnitForm) -> dict:
    return dict(form.cleaned_data)


@login_required
def unit_create(request):
    if not access.can_register_units(request.user):
        raise PermissionDenied("只有区安委办和部门人员可以登记单位")
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = _unit_form_data(form)
        try:
            unit = services.unit_create(
                actor=request.user,
                name=data.pop("name"),
                uscc=data.pop("uscc"),
                address=data.pop("address"),
                street=data.pop("street"),
                owner=data.pop("owner"),
                **data,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"单位“{unit.name}”已登记。")
            return redirect("registry:unit_detail", pk=unit.pk)
    return render(
        request, "registry/unit_form.html", {"form": form, "creating": True}, status=422 if form.errors else 200
    )


@login_required
def unit_edit(request, pk: int):
    unit = get_scoped_or_404(Unit, request.user, "change", pk=pk)
    full = access.can_change_unit(request.user, unit)
    if not full and not access.is_unit_member(request.user, unit):
        raise PermissionDenied("只有主管部门或区安委办可以修改单位信息")
    initial = {f: getattr(unit, f) for f in services.UNIT_FIELDS + services.PHONE_FIELDS}
    initial["tags"] = list(unit.tags.all())
    form = UnitForm(request.POST or None, initial=initial, contacts_only=not full)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(
                actor=request.user, unit=unit, data=_unit_form_data(form), reason=request.POST.get("reason", "")
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "单位信息已修改。")
            return redirect("registry:unit_detail", pk=unit.pk)
    return render(
        request,
        "registry/unit_form.html",
        {"form": form, "unit": unit, "creating": False, "contacts_only": not full},
        status=422 if form.errors else 200,
    )


def _unit_context(request, unit: Unit, **forms) -> dict:
    user = request.user
    today = timezone.localdate()
    see = access.can_see_contacts(user, unit)
    documents = list(unit.documents.select_related("file", "uploaded_by"))
    for document in documents:
        document.state = document.expiry_state(today)
    can_change = access.can_change_unit(user, unit)
    # Other apps add their part of the file: AppConfig.unit_dossier(request, unit) -> (template, context).
    dossier = []
    for config in apps.get_app_configs():
        hook = getattr(config, "unit_dossier", None)
        panel = hook(request, unit) if callable(hook) else None
        if panel:
            dossier.append(panel)
    return {
        "dossier_panels": dossier,
        "unit": unit,
        "today": today,
        "phones": {f: (getattr(unit, f) if see else mask_phone(getattr(unit, f))) for f in services.PHONE_FIELDS},
        "phones_masked": not see,
        "sites": unit.sites.select_related("site_type", "owner", "street"),
        "confined_spaces": unit.confined_spaces.all(),
        "can_manage_confined": access.can_manage_confined(user, unit),
        "assessments": unit.assessments.select_related("assessor"),
        "flags": [(f, f.is_active(today)) for f in unit.flags.select_related("created_by")],
        "documents": documents,
        "expiry_warnings": [d for d in documents if d.state],
        "insurance_expired": unit.insurance_expired(today),
        "can_change": can_change,
        "can_edit": can_change or access.is_unit_member(user, unit),
        "can_assess": access.can_assess(user, unit),
        "can_add_document": access.can_add_document(user, unit),
        "flag_form": forms.get("flag") or FlagForm(initial={"start": today}),
        "document_form": forms.get("document") or DocumentForm(),
        "lift_form": ReasonForm(),
        "events": record_events("registry.unit", unit.pk),
    }


@login_required
def unit_detail(request, pk: int):
    """一企一档."""
    unit = get_scoped_or_404(Unit, request.user, "view", pk=pk)
    return render(request, "registry/unit_detail.html", _unit_context(request, unit))


@login_required
@require_POST
def unit_flag_add(request, pk: int):
    unit = get_scoped_or_404(Unit, request.user, "view", pk=pk)
    form = FlagForm(request.POST)
    if form.is_valid():
        try:
            services.flag_add(actor=request.user, unit=unit, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "已添加标记。")
            return redirect("registry:unit_detail", pk=unit.pk)
    return render(request, "registry/unit_detail.html", _unit_context(request, unit, flag=form), status=422)


@login_required
@require_POST
def unit_flag_lift(request, pk: int, flag_id: int):
    unit = get_scoped_or_404(Unit, request.user, "view", pk=pk)
    flag = UnitFlag.objects.filter(unit=unit, pk=flag_id).first()
    if flag is None:
        raise Http404
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写解除原因。")
    else:
        try:
            services.flag_lift(actor=request.user, flag=flag, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "标记已解除。")
    return redirect("registry:unit_detail", pk=unit.pk)


@login_required
@require_POST
def unit_document_add(request, pk: int):
    unit = get_scoped_or_404(Unit, request.user, "view", pk=pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.document_add(actor=request.user, unit=unit, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "材料已上传。")
            return redirect("registry:unit_detail", pk=unit.pk)
    return render(request, "registry/unit_detail.html", _unit_context(request, unit, document=form), status=422)


@login_required
def unit_document_file(request, pk: int, document_id: int):
    unit = get_scoped_or_404(Unit, request.user, "view", pk=pk)
    document = file_link_or_404(UnitDocument.objects.filter(unit=unit), document_id)
    return serve_file(request, document.file, filename=document.original_name)


# --- Risk assessments ---------------------------------------------------------------------


def _assess(request, subject, back: str):
    form = AssessmentForm(request.POST or None, initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        kwargs = {"unit": subject} if isinstance(subject, Unit) else {"site": subject}
        try:
            assessment = services.risk_assess(
                actor=request.user,
                method=form.cleaned_data["method"],
                inputs=form.inputs(),
                assessed_on=form.cleaned_data["assessed_on"],
                valid_until=form.cleaned_data["valid_until"],
                note=form.cleaned_data["note"],
                **kwargs,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"评估已记录：{assessment.score} 分，{assessment.get_level_display()}。")
            return redirect(back, pk=subject.pk)
    return render(
        request,
        "registry/assess_form.html",
        {"form": form, "subject": subject, "back": back, "bands": services.risk_bands},
        status=422 if form.errors else 200,
    )


@login_required
def unit_assess(request, pk: int):
    unit = get_scoped_or_404(Unit, request.user, "view", pk=pk)
    if not access.can_assess(request.user, unit):
        raise PermissionDenied("您不能评估该单位的风险")
    return _assess(request, unit, "registry:unit_detail")


@login_required
def site_assess(request, pk: int):
    site = get_scoped_or_404(Site, request.user, "view", pk=pk)
    if not access.can_assess(request.user, site):
        raise PermissionDenied("您不能评估该场所的风险")
    return _assess(request, site, "registry:site_detail")


@login_required
@government_only
def high_risk(request):
    today = timezone.localdate()
    month = reports.parse_month(request.GET.get("month"), today)
    rows = reports.high_risk(request.user, month.year, month.month)
    kind = request.GET.get("kind")
    if kind == "unit":
        rows = [r for r in rows if r.unit_id]
    elif kind == "site":
        rows = [r for r in rows if r.site_id]
    return render(
        request,
        "registry/high_risk.html",
        {"rows": rows, "month": month, "kind": kind or "", "month_value": f"{month:%Y-%m}"},
    )


@login_required
@government_only
def blind_spots(request):
    return render(request, "registry/blind_spots.html", {"report": reports.blind_spots(request.user)})


# --- Sites --------------------------------------------------------------------------------


@login_required
def site_list(request):
    filterset, qs = filtered_sites(request)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": access.can_register_sites(request.user),
        **paginate(request, qs.select_related("site_type", "owner", "street", "unit")),
    }
    return render(request, "registry/site_list.html", context)


@login_required
def site_create(request):
    if not access.can_register_sites(request.user):
        raise PermissionDenied("只有区安委办、部门和街道人员可以登记场所")
    code = request.GET.get("type") or request.POST.get("type")
    site_type = SiteType.objects.filter(code=code, is_active=True).first() if code else None
    if site_type is None:
        types = SiteType.objects.filter(is_active=True).select_related("owner").order_by("sort_order")
        return render(request, "registry/site_type_pick.html", {"types": types})
    initial = {"site_type": site_type}
    if request.GET.get("unit"):
        initial["unit"] = Unit.objects.restrict(request.user, "view").filter(pk=request.GET["unit"]).first()
    form = SiteForm(request.POST or None, user=request.user, site_type=site_type, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["site_type"] = site_type
        try:
            site = services.site_create(actor=request.user, data=data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"场所“{site.name}”已登记，场所码 {site.public_code}。")
            return redirect("registry:site_detail", pk=site.pk)
    return render(
        request,
        "registry/site_form.html",
        {"form": form, "site_type": site_type, "creating": True},
        status=422 if form.errors else 200,
    )


@login_required
def site_edit(request, pk: int):
    site = get_scoped_or_404(Site, request.user, "change", pk=pk)
    if not access.can_manage_site(request.user, site.owner, site.street):
        raise PermissionDenied("只有负责部门、属地街道或区安委办可以修改场所")
    site_type = site.site_type
    initial = {f: getattr(site, f) for f in services.SITE_FIELDS if f != "attributes"}
    for key, value in (site.attributes or {}).items():
        initial[f"attr_{key}"] = value
    form = SiteForm(request.POST or None, user=request.user, site_type=site_type, initial=initial)
    form.fields["site_type"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data.pop("site_type", None)
        try:
            services.site_update(actor=request.user, site=site, data=data, reason=request.POST.get("reason", ""))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "场所信息已修改。")
            return redirect("registry:site_detail", pk=site.pk)
    return render(
        request,
        "registry/site_form.html",
        {"form": form, "site": site, "site_type": site_type, "creating": False},
        status=422 if form.errors else 200,
    )


@login_required
def site_detail(request, pk: int):
    site = get_scoped_or_404(Site, request.user, "view", pk=pk)
    context = {
        "site": site,
        "assessments": site.assessments.select_related("assessor"),
        "grids": site.grids.all(),
        "can_edit": access.can_manage_site(request.user, site.owner, site.street),
        "can_assess": access.can_assess(request.user, site),
        "unit_visible": selectors.unit_is_visible(request.user, site.unit_id),
        "events": record_events("registry.site", site.pk),
    }
    return render(request, "registry/site_detail.html", context)


# --- Grids --------------------------------------------------------------------------------


@login_required
@government_only
def grid_list(request):
    grids = selectors.grid_list(request.user)
    can_create = access.can_register_sites(request.user)
    return render(request, "registry/grid_list.html", {"grids": grids, "can_create": can_create})


def _grid_form_view(request, grid: Grid | None):
    initial = {}
    if grid is not None:
        initial = {
            "name": grid.name,
            "owner": grid.owner,
            "note": grid.note,
            "streets": list(grid.streets.all()),
            "sites": list(grid.sites.all()),
            "inspectors": list(grid.inspectors.all()),
        }
    elif request.user.primary_membership is not None:
        initial = {"owner": request.user.primary_membership.organization}
    form = GridForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if grid is None:
                grid = services.grid_create(actor=request.user, data=form.cleaned_data)
            else:
                services.grid_update(actor=request.user, grid=grid, data=form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"网格“{grid.name}”已保存。")
            return redirect("registry:grid_list")
    return render(request, "registry/grid_form.html", {"form": form, "grid": grid}, status=422 if form.errors else 200)


@login_required
def grid_create(request):
    if not access.can_register_sites(request.user):
        raise PermissionDenied("只有区安委办、部门和街道人员可以划分网格")
    return _grid_form_view(request, None)


@login_required
def grid_edit(request, pk: int):
    grid = get_scoped_or_404(Grid, request.user, "change", pk=pk)
    return _grid_form_view(request, grid)


# --- Excel exports (the import template and upload pages are zhiben.imports' generic ones: urls.py) ---


@login_required
@require_GET
def unit_export(request):
    """The unit list as filtered (same query string as /units/), within the
    viewer's scope; phones masked unless the viewer may see them. In the request
    up to ZHIBEN_EXPORT_INLINE_MAX rows, else a background export job
    (zhiben.imports.views.export_list; ``UnitExporter``)."""
    return export_list(request, "units")


@login_required
@require_GET
def site_export(request):
    """The site list as filtered (same query string as /sites/), within the
    viewer's scope; in the request or as a background export job like units."""
    return export_list(request, "sites")


# --- 有限空间 -------------------------------------------------------------------------------


@login_required
def confined_list(request):
    filterset, qs = selectors.filter_confined_spaces(request.user, request.GET)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": access.can_register_confined(request.user),
        **paginate(request, qs.select_related("unit", "site")),
    }
    return render(request, "registry/confined_list.html", context)


@login_required
def confined_create(request):
    if not access.can_register_confined(request.user):
        raise PermissionDenied("只有单位、其行业主管部门或区安委办可以登记有限空间")
    units = selectors.units_for_confined(request.user)
    initial = {}
    if request.GET.get("unit", "").isdigit():
        initial["unit"] = units.filter(pk=request.GET["unit"]).first()
    form = ConfinedSpaceForm(request.POST or None, units=units, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            space = services.confined_space_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"有限空间“{space.name}”已登记。")
            return redirect("registry:confined_detail", pk=space.pk)
    return render(
        request, "registry/confined_form.html", {"form": form, "creating": True}, status=422 if form.errors else 200
    )


@login_required
def confined_edit(request, pk: int):
    space = get_scoped_or_404(ConfinedSpace, request.user, "change", pk=pk)
    if not access.can_manage_confined(request.user, space.unit):
        raise PermissionDenied("只有该单位、其行业主管部门或区安委办可以修改有限空间")
    units = Unit.objects.filter(pk=space.unit_id)
    initial = {f: getattr(space, f) for f in services.confined.SPACE_FIELDS}
    form = ConfinedSpaceForm(request.POST or None, units=units, user=request.user, initial=initial)
    form.fields["unit"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "unit"}
        try:
            services.confined_space_update(
                actor=request.user, space=space, data=data, reason=request.POST.get("reason", "")[:300]
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "有限空间信息已修改。")
            return redirect("registry:confined_detail", pk=space.pk)
    return render(
        request,
        "registry/confined_form.html",
        {"form": form, "space": space, "creating": False},
        status=422 if form.errors else 200,
    )


@login_required
def confined_detail(request, pk: int):
    space = get_scoped_or_404(ConfinedSpace, request.user, "view", pk=pk)
    permits = list(selectors.confined_space_permits(space))
    context = {
        "space": space,
        "permits": permits,
        "correctable": {p.pk for p in permits if access.can_correct_permit(request.user, p)},
        "can_edit": access.can_manage_confined(request.user, space.unit),
        "unit_visible": selectors.unit_is_visible(request.user, space.unit_id),
        "events": record_events("registry.confinedspace", space.pk),
    }
    return render(request, "registry/confined_detail.html", context)


@login_required
def confined_permit_add(request, pk: int):
    space = get_scoped_or_404(ConfinedSpace, request.user, "change", pk=pk)
    if not access.can_manage_confined(request.user, space.unit):
        raise PermissionDenied("只有该单位、其行业主管部门或区安委办可以记录作业审批")
    form = ConfinedPermitForm(request.POST or None, initial={"work_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.confined_permit_record(actor=request.user, space=space, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "作业审批已记录。")
            return redirect("registry:confined_detail", pk=space.pk)
    return render(
        request,
        "registry/confined_permit_form.html",
        {"form": form, "space": space},
        status=422 if form.errors else 200,
    )


def _open_permit_or_redirect(request, pk: int, verb: str):
    """(permit, None) when the user may correct/withdraw it, else (permit, the response)."""
    permit = get_scoped_or_404(ConfinedSpaceWorkPermit, request.user, "change", pk=pk)
    permit = ConfinedSpaceWorkPermit.objects.select_related("space__unit").get(pk=permit.pk)
    if permit.recorded_by_id != request.user.pk or not access.can_manage_confined(request.user, permit.space.unit):
        raise PermissionDenied(f"只有记录该作业审批的人员可以{verb}")
    if not access.can_correct_permit(request.user, permit):
        state = "已撤回" if permit.is_withdrawn else "已审批通过"
        messages.error(request, f"该作业审批{state}，不能{verb}。")
        return permit, redirect("registry:confined_detail", pk=permit.space_id)
    return permit, None


@login_required
def confined_permit_edit(request, pk: int):
    """更正作业审批 (its recorder, before 审批通过)."""
    permit, refused = _open_permit_or_redirect(request, pk, "更正")
    if refused:
        return refused
    initial = {f: getattr(permit, f) for f in services.confined.PERMIT_FIELDS}
    form = ConfinedPermitEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reason = data.pop("reason", "")
        try:
            services.confined_permit_update(actor=request.user, permit=permit, data=data, reason=reason)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "作业审批已更正。")
            return redirect("registry:confined_detail", pk=permit.space_id)
    return render(
        request,
        "registry/confined_permit_form.html",
        {"form": form, "space": permit.space, "permit": permit},
        status=422 if form.errors else 200,
    )


@login_required
def confined_permit_withdraw(request, pk: int):
    """撤回作业审批 with a reason (its recorder, before 审批通过)."""
    permit, refused = _open_permit_or_redirect(request, pk, "撤回")
    if refused:
        return refused
    form = PermitWithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.confined_permit_withdraw(actor=request.user, permit=permit, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "作业审批已撤回。")
            return redirect("registry:confined_detail", pk=permit.space_id)
    return render(
        request,
        "registry/confined_permit_withdraw.html",
        {"form": form, "space": permit.space, "permit": permit},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def confined_export(request):
    """The 有限空间 list as filtered (same query string as /confined-spaces/), within the
    viewer's scope; in the request or as a background export job like units."""
    return export_list(request, "confined_spaces")
