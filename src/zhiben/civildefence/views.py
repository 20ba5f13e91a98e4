"""Pages of civildefence: the 使用备案 list (filters, export, import), a filing's
page (details, state history, monthly checks, state changes), create/edit, and the
monthly check page 人防工程月度检查 (coverage of one month)."""

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
from zhiben.web.access import government_only
from zhiben.web.toolkit import apply_service_error, paginate

from . import access, selectors, services
from .forms import FilingForm, ReasonForm
from .models import UseFiling
from .workflow import allowed_transitions

REFUSED = "只有工程负责部门或区安委办可以登记、修改使用备案"


@login_required
@government_only
def filing_list(request):
    today = timezone.localdate()
    filterset, qs = selectors.filter_filings(request.user, request.GET, today=today)
    context = {
        "filter": filterset,
        "total": qs.count(),
        "today": today,
        "can_create": access.can_register_filings(request.user) and access.filing_sites(request.user).exists(),
        **paginate(request, qs),
    }
    return render(request, "civildefence/filing_list.html", context)


@login_required
@government_only
def filing_create(request):
    if not access.can_register_filings(request.user):
        raise PermissionDenied(REFUSED)
    if not access.filing_sites(request.user).exists():
        messages.warning(
            request,
            "没有您可登记备案的人防工程：只有工程负责部门（及其科室）或区安委办可以登记，工程须先在“场所与点位”登记。",
        )
        return redirect("civildefence:list")
    initial = {"filed_on": timezone.localdate()}
    if request.GET.get("site", "").isdigit():
        initial["site"] = access.filing_sites(request.user).filter(pk=request.GET["site"]).first()
    form = FilingForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            filing = services.filing_create(actor=request.user, data=form.service_data())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"使用备案“{filing.filing_no}”已登记。")
            return redirect("civildefence:detail", pk=filing.pk)
    return render(
        request, "civildefence/filing_form.html", {"form": form, "creating": True}, status=422 if form.errors else 200
    )


@login_required
@government_only(not_found=True)
def filing_edit(request, pk: int):
    filing = get_scoped_or_404(UseFiling, request.user, "view", pk=pk)
    if not access.can_manage_filing(request.user, filing):
        raise PermissionDenied(REFUSED)
    if filing.is_final:
        messages.error(request, services.FINAL)
        return redirect("civildefence:detail", pk=filing.pk)
    initial = {f: getattr(filing, f) for f in services.EDITABLE}
    initial["user_uscc"] = filing.user_unit.uscc if filing.user_unit_id else ""
    form = FilingForm(request.POST or None, user=request.user, creating=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        version = request.POST.get("version", "")
        try:
            services.filing_update(
                actor=request.user,
                filing=filing,
                data=form.service_data(),
                reason=request.POST.get("reason", "")[:300],
                expected_version=int(version) if version.isdigit() else None,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "使用备案已修改。")
            return redirect("civildefence:detail", pk=filing.pk)
    return render(
        request,
        "civildefence/filing_form.html",
        {"form": form, "filing": filing, "creating": False},
        status=422 if form.errors else 200,
    )


@login_required
@government_only(not_found=True)
def filing_detail(request, pk: int):
    filing = get_scoped_or_404(UseFiling, request.user, "view", pk=pk)
    today = timezone.localdate()
    version = selectors.current_checklist_version()
    context = {
        "filing": filing,
        "today": today,
        "due": filing.due_status(today),
        "history": selectors.filing_history(filing),
        "months": selectors.filing_months(request.user, filing, today),
        "transitions": allowed_transitions(request.user, filing),
        "reason_form": ReasonForm(),
        "can_edit": not filing.is_final and access.can_manage_filing(request.user, filing),
        "checklist_version": version,
        "site_visible": bool(selectors.visible_site_ids(request.user, [filing.site_id])),
        "events": record_events("civildefence.usefiling", filing.pk),
    }
    return render(request, "civildefence/filing_detail.html", context)


@login_required
@government_only(not_found=True)
@require_POST
def filing_transition(request, pk: int, name: str):
    filing = get_scoped_or_404(UseFiling, request.user, "view", pk=pk)
    form = ReasonForm(request.POST)
    version = request.POST.get("version", "")
    if not form.is_valid():
        messages.error(request, "原因不超过300字，状态未变更。")
        return redirect("civildefence:detail", pk=filing.pk)
    try:
        filing = services.filing_transition(
            actor=request.user,
            filing=filing,
            name=name,
            reason=form.cleaned_data["reason"],
            expected_version=int(version) if version.isdigit() else None,
        )
    except ServiceError as exc:
        messages.error(request, f"状态未变更：{exc.message}")
    else:
        messages.success(request, f"使用状态已变更为“{filing.get_state_display()}”。")
    return redirect("civildefence:detail", pk=filing.pk)


@login_required
@government_only
@require_GET
def filing_export(request):
    """The filing list as filtered (same query string as the list), within the viewer's scope."""
    return export_list(request, "civildefence_filings")


CHECK_FILTERS = {"done": "已检查", "missing": "未检查"}


@login_required
@government_only
def monthly(request):
    """人防工程月度检查: the works due in a month, each done or missing, and the coverage."""
    today = timezone.localdate()
    first, problem = selectors.parse_month(request.GET.get("month"), today)
    if problem:
        messages.error(request, problem)
    filterset, qs = selectors.filter_filings(request.user, request.GET, today=today)
    coverage = selectors.monthly_coverage(request.user, first, today, filings=qs)
    rows = coverage.rows
    check = request.GET.get("check", "")
    if check == "done":
        rows = [r for r in rows if r.done]
    elif check == "missing":
        rows = [r for r in rows if not r.done]
    version = selectors.current_checklist_version()
    context = {
        "site_ids": selectors.visible_site_ids(request.user, {r.filing.site_id for r in rows if not r.done}),
        "filter": filterset,
        "coverage": coverage,
        "month": first,
        "month_value": f"{first:%Y-%m}",
        "previous": f"{selectors.previous_month(first):%Y-%m}",
        "next": f"{selectors.next_month(first):%Y-%m}" if selectors.next_month(first) <= today else "",
        "check": check,
        "check_filters": CHECK_FILTERS,
        "checklist_version": version,
        "is_current": first == today.replace(day=1),
        **paginate(request, rows),
    }
    return render(request, "civildefence/monthly.html", context)
