"""Pages of 道路交通: 事故多发点段 (list, 挂牌登记, detail with its 整治 and the
transition buttons, edit, Excel), 事故多发点段整治进度 (per year: target, actual, the
points behind it) and 一校一方案 (list with the schools still without a plan for
the current 学年, create, detail, edit, Excel).

Every page is for the government side: others get the 404 page (web.access); records
out of the viewer's scope answer 404 too (core.access.get_scoped_or_404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhiben.audit.selectors import record_events
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ServiceError
from zhiben.imports.views import export_list
from zhiben.org.access import is_admin
from zhiben.registry.models import Site
from zhiben.web.access import government_only
from zhiben.web.toolkit import apply_service_error, paginate

from . import access, selectors, services
from .forms import ListingForm, RectificationForm, SchoolPlanForm, TransitionForm
from .indicators import RULE_DESCRIPTION
from .models import BlackSpotListing, BlackSpotRectification, SchoolSafetyPlan, current_school_year
from .workflow import WORKFLOW, allowed_transitions

gov = government_only(not_found=True)


def _status(form) -> int:
    return 422 if form.errors else 200


# --- 事故多发点段 -----------------------------------------------------------------------------


@login_required
@gov
def listing_list(request):
    filterset, qs = selectors.filter_listings(request.user, request.GET)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "can_create": access.can_list_spots(request.user) and selectors.road_spots_for(request.user).exists(),
        **paginate(request, qs),
    }
    return render(request, "traffic/listing_list.html", context)


@login_required
@gov
def listing_create(request):
    if not access.can_list_spots(request.user):
        raise PermissionDenied("只有区安委办和部门人员可以挂牌登记事故多发点段")
    sites = selectors.road_spots_for(request.user)
    if not sites.exists():
        messages.warning(
            request,
            "没有您可挂牌登记的道路点段：点段须由本部门负责或在本街道，并先在“场所与点位”登记为道路点段。",
        )
        return redirect("traffic:listing_list")
    initial = {"year": timezone.localdate().year}
    if request.GET.get("site", "").isdigit():
        initial["site"] = sites.filter(pk=request.GET["site"]).first()
    form = ListingForm(request.POST or None, sites=sites, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"“{listing.site.name}”已挂牌登记为{listing.year}年事故多发点段。")
            return redirect("traffic:listing_detail", pk=listing.pk)
    return render(request, "traffic/listing_form.html", {"form": form, "creating": True}, status=_status(form))


@login_required
@gov
def listing_edit(request, pk: int):
    listing = get_scoped_or_404(BlackSpotListing, request.user, "change", pk=pk)
    if not access.can_manage_listing(request.user, listing.site, listing.lead_org):
        raise PermissionDenied("只有区安委办、点段负责部门或牵头单位可以修改挂牌信息")
    initial = {f: getattr(listing, f) for f in services.LISTING_FIELDS}
    sites = Site.objects.filter(pk=listing.site_id)
    form = ListingForm(request.POST or None, sites=sites, initial=initial)
    form.fields["site"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "site"}
        try:
            services.listing_update(
                actor=request.user, listing=listing, data=data, reason=request.POST.get("change_reason", "")[:300]
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "挂牌信息已修改。")
            return redirect("traffic:listing_detail", pk=listing.pk)
    return render(
        request,
        "traffic/listing_form.html",
        {"form": form, "listing": listing, "creating": False},
        status=_status(form),
    )


def _detail_context(request, listing: BlackSpotListing, **forms) -> dict:
    rect = listing.rectification
    transitions = allowed_transitions(request.user, rect)
    today = timezone.localdate()
    return {
        "listing": listing,
        "rect": rect,
        "transitions": transitions,
        "transition_form": forms.get("transition_form")
        or TransitionForm(initial={"started_on": today, "finished_on": today, "accepted_on": today}),
        "failed_transition": forms.get("failed_transition", ""),
        "rect_form": forms.get("rect_form")
        or RectificationForm(initial={"measures": rect.measures, "evidence": rect.evidence}),
        "can_edit": access.can_manage_listing(request.user, listing.site, listing.lead_org),
        "can_handle": access.can_handle_rectification(request.user, listing),
        "events": record_events("traffic.blackspotlisting", listing.pk),
    }


def _scoped_listing(request, pk: int, action: str = "view") -> BlackSpotListing:
    listing = get_scoped_or_404(BlackSpotListing, request.user, action, pk=pk)
    return BlackSpotListing.objects.select_related(
        "site", "site__street", "site__owner", "lead_org", "rectification"
    ).get(pk=listing.pk)


@login_required
@gov
def listing_detail(request, pk: int):
    listing = _scoped_listing(request, pk)
    return render(request, "traffic/listing_detail.html", _detail_context(request, listing))


@login_required
@gov
@require_POST
def listing_transition(request, pk: int):
    listing = _scoped_listing(request, pk)
    form = TransitionForm(request.POST)
    name = request.POST.get("transition", "")
    if name not in WORKFLOW:
        raise PermissionDenied("没有这个操作")
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("transition", "version", "reason")}
        try:
            services.rectification_transition(
                actor=request.user,
                rectification=listing.rectification,
                name=name,
                data=data,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data.get("version"),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"已{WORKFLOW[name].label}。")
            return redirect("traffic:listing_detail", pk=listing.pk)
    listing = _scoped_listing(request, pk)
    context = _detail_context(request, listing, transition_form=form, failed_transition=name)
    return render(request, "traffic/listing_detail.html", context, status=422)


@login_required
@gov
@require_POST
def rectification_edit(request, pk: int):
    listing = _scoped_listing(request, pk, "change")
    rect: BlackSpotRectification = listing.rectification
    form = RectificationForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_update(
                actor=request.user,
                rectification=rect,
                data=dict(form.cleaned_data),
                expected_version=_int_or_none(request.POST.get("version")),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "整治记录已保存。")
            return redirect("traffic:listing_detail", pk=listing.pk)
    listing = _scoped_listing(request, pk)
    return render(request, "traffic/listing_detail.html", _detail_context(request, listing, rect_form=form), status=422)


def _int_or_none(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


@login_required
@gov
@require_GET
def listing_export(request):
    return export_list(request, "black_spots")


@login_required
@gov
def progress(request):
    today = timezone.localdate()
    context = {
        "years": selectors.black_spot_progress(request.user, today),
        "today": today,
        "definition": RULE_DESCRIPTION,
        "district_wide": is_admin(request.user),
    }
    return render(request, "traffic/progress.html", context)


# --- 一校一方案 -------------------------------------------------------------------------------


@login_required
@gov
def plan_list(request):
    filterset, qs = selectors.filter_school_plans(request.user, request.GET)
    coverage = selectors.school_coverage(request.user, timezone.localdate())
    context = {
        "filter": filterset,
        "total": qs.count(),
        "coverage": coverage,
        "without": coverage["without"][:100],
        "without_more": max(0, coverage["total"] - coverage["covered"] - 100),
        "can_create": access.can_plan_schools(request.user) and selectors.schools_for(request.user).exists(),
        **paginate(request, qs),
    }
    return render(request, "traffic/plan_list.html", context)


@login_required
@gov
def plan_create(request):
    if not access.can_plan_schools(request.user):
        raise PermissionDenied("只有区安委办、部门和街道人员可以编制一校一方案")
    sites = selectors.schools_for(request.user)
    if not sites.exists():
        messages.warning(
            request, "没有您可编制方案的学校：学校须由本部门负责或在本街道，并先在“场所与点位”登记为学校周边。"
        )
        return redirect("traffic:plan_list")
    initial = {"school_year": current_school_year(timezone.localdate())}
    if request.GET.get("site", "").isdigit():
        initial["site"] = sites.filter(pk=request.GET["site"]).first()
    form = SchoolPlanForm(request.POST or None, sites=sites, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.school_plan_create(actor=request.user, data=dict(form.cleaned_data))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"{plan}已保存。")
            return redirect("traffic:plan_detail", pk=plan.pk)
    return render(request, "traffic/plan_form.html", {"form": form, "creating": True}, status=_status(form))


@login_required
@gov
def plan_edit(request, pk: int):
    plan = get_scoped_or_404(SchoolSafetyPlan, request.user, "change", pk=pk)
    if not access.can_manage_school_plan(request.user, plan.site):
        raise PermissionDenied("只有区安委办、学校周边的负责部门或属地街道可以修改一校一方案")
    initial = {f: getattr(plan, f) for f in services.PLAN_FIELDS}
    sites = selectors.schools_for(request.user).filter(pk=plan.site_id)
    form = SchoolPlanForm(request.POST or None, sites=sites, initial=initial)
    form.fields["site"].disabled = True
    form.fields["school_year"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("site", "school_year")}
        try:
            services.school_plan_update(
                actor=request.user,
                plan=plan,
                data=data,
                reason=request.POST.get("change_reason", "")[:300],
                expected_version=_int_or_none(request.POST.get("version")),
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "一校一方案已修改。")
            return redirect("traffic:plan_detail", pk=plan.pk)
    return render(
        request, "traffic/plan_form.html", {"form": form, "plan": plan, "creating": False}, status=_status(form)
    )


@login_required
@gov
def plan_detail(request, pk: int):
    plan = get_scoped_or_404(SchoolSafetyPlan, request.user, "view", pk=pk)
    context = {
        "plan": plan,
        "can_edit": access.can_manage_school_plan(request.user, plan.site),
        "events": record_events("traffic.schoolsafetyplan", plan.pk),
        "current_year": current_school_year(timezone.localdate()),
    }
    return render(request, "traffic/plan_detail.html", context)


@login_required
@gov
@require_GET
def plan_export(request):
    return export_list(request, "school_plans")
