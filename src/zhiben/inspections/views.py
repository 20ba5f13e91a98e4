"""Pages of inspections: thin — parse, fetch scoped objects, call one service, render."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhiben.core.access import get_from_or_404
from zhiben.core.errors import ServiceError
from zhiben.files.access import file_link_or_404
from zhiben.files.views import serve_file
from zhiben.registry.access import visible_sites
from zhiben.web.access import government_only
from zhiben.web.toolkit import apply_service_error, page_of

from . import access, selectors, services
from .checklists import to_lines
from .choices import AnswerResult, InspectionKind, PhotoPhase
from .forms import CampaignForm, ChecklistForm, DrawForm, InspectionForm, PeriodForm, PublishForm, SelfCheckForm
from .models import AnswerPhoto, InspectionAnswer
from .report import inspection_docx


def _inspection(request, pk):
    return get_from_or_404(access.visible_inspections(request.user), request.user, pk=pk)


def _campaign(request, pk):
    return get_from_or_404(access.visible_campaigns(request.user), request.user, pk=pk)


# --- Inspections ----------------------------------------------------------------------------


@login_required
def inspection_list(request):
    qs = access.visible_inspections(request.user).select_related("site", "organization", "campaign")
    status = request.GET.get("status")
    if status:
        qs = qs.filter(status=status)
    return render(request, "inspections/list.html", {"page_obj": page_of(request, qs)})


@login_required
def inspection_create(request):
    campaign = None
    if request.GET.get("campaign") or request.POST.get("campaign"):
        campaign = _campaign(request, request.GET.get("campaign") or request.POST.get("campaign"))
    sites = services.target_sites(campaign.target) if campaign else visible_sites(request.user)
    form = InspectionForm(
        request.POST or None,
        sites=sites,
        initial={"site": request.GET.get("site"), "checklist_version": request.GET.get("checklist_version")},
    )
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        data["campaign"] = campaign
        try:
            inspection = services.inspection_create(actor=request.user, data=data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("inspections:detail", pk=inspection.pk)
    return render(
        request,
        "inspections/form.html",
        {"form": form, "campaign": campaign, "title": "登记检查"},
        status=422 if form.errors else 200,
    )


def _answers_from_post(request, inspection) -> list[dict]:
    answers = []
    for answer in inspection.answers.select_related("item"):
        pk = answer.item_id
        result = request.POST.get(f"result_{pk}")
        if result is None:
            continue
        answers.append(
            {
                "item": pk,
                "result": result,
                "note": request.POST.get(f"note_{pk}", ""),
                "photos": request.FILES.getlist(f"photos_{pk}"),
                "fixed": request.POST.get(f"fixed_{pk}") == "on",
                "fix_note": request.POST.get(f"fix_note_{pk}", ""),
                "after_photos": request.FILES.getlist(f"after_{pk}"),
            }
        )
    return answers


@login_required
def inspection_detail(request, pk: int):
    inspection = _inspection(request, pk)
    can_edit = not inspection.is_finished and access.can_edit_inspection(request.user, inspection)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        try:
            services.inspection_update(
                actor=request.user,
                inspection=inspection,
                answers=_answers_from_post(request, inspection),
                summary=request.POST.get("summary"),
            )
            if request.POST.get("finish"):
                services.inspection_finish(actor=request.user, inspection=inspection)
                messages.success(request, "检查已完成，不符合项已登记为隐患。")
            else:
                messages.success(request, "已保存。")
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("inspections:detail", pk=inspection.pk)
    answers = inspection.answers.select_related("item", "hazard", "category").prefetch_related("photos")
    return render(
        request,
        "inspections/detail.html",
        {
            "inspection": inspection,
            "answers": answers,
            "can_edit": can_edit,
            "results": [(r.value, r.label) for r in AnswerResult if r != AnswerResult.PENDING],
            "self_check": inspection.kind == InspectionKind.SELF_CHECK,
            "can_accept": inspection.is_finished and not access.is_enterprise(request.user),
        },
    )


@login_required
def inspection_report(request, pk: int):
    inspection = _inspection(request, pk)
    response = HttpResponse(
        inspection_docx(inspection),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="inspection-{inspection.pk}.docx"'
    return response


@login_required
def answer_photo(request, pk: int, photo_id: int, variant: str = "original"):
    inspection = _inspection(request, pk)
    photo = file_link_or_404(AnswerPhoto.objects.filter(answer__inspection=inspection), photo_id)
    return serve_file(request, photo.file, variant=variant, filename=photo.original_name)


@login_required
@require_POST
def accept_self_fix(request, pk: int, answer_id: int):
    inspection = _inspection(request, pk)
    answer = InspectionAnswer.objects.filter(pk=answer_id, inspection=inspection).first()
    if answer is None:
        raise Http404
    try:
        services.self_fix_accept(actor=request.user, answer=answer)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "即查即改隐患已验收销号。")
    return redirect("inspections:detail", pk=inspection.pk)


def _period(request) -> tuple[PeriodForm, dt.date, dt.date]:
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, initial={"start": today.replace(month=1, day=1), "end": today})
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, today.replace(month=1, day=1), today


@login_required
def repeat_view(request):
    form, start, end = _period(request)
    rows = selectors.repeat_problems(access.visible_inspections(request.user), start, end)
    return render(request, "inspections/repeat.html", {"form": form, "rows": rows, "start": start, "end": end})


@login_required
def activity_view(request):
    form, start, end = _period(request)
    data = selectors.inspector_activity(
        access.visible_inspections(request.user), start, end, sites=visible_sites(request.user)
    )
    return render(request, "inspections/activity.html", {"form": form, **data, "start": start, "end": end})


# --- Campaigns ------------------------------------------------------------------------------


@login_required
@government_only
def campaign_list(request):
    campaigns = access.visible_campaigns(request.user).select_related("owner", "checklist")
    rows = [(c, selectors.coverage(c)) for c in campaigns[:200]]
    return render(
        request,
        "inspections/campaign_list.html",
        {"rows": rows, "can_create": access.can_create_campaign(request.user)},
    )


@login_required
def campaign_create(request):
    if not access.can_create_campaign(request.user):
        raise Http404
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, data=form.service_data())
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("inspections:campaign_detail", pk=campaign.pk)
    return render(
        request, "inspections/form.html", {"form": form, "title": "新建排查轮次"}, status=422 if form.errors else 200
    )


@login_required
@government_only(not_found=True)
def campaign_detail(request, pk: int):
    campaign = _campaign(request, pk)
    form = DrawForm(request.POST or None)
    can_manage = access.can_manage_campaign(request.user, campaign.owner)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                services.campaign_draw(actor=request.user, campaign=campaign, **form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                return redirect("inspections:campaign_detail", pk=campaign.pk)
    draws = selectors.draws_of(campaign)
    inspections = access.visible_inspections(request.user).filter(campaign=campaign).select_related("site")
    return render(
        request,
        "inspections/campaign_detail.html",
        {
            "campaign": campaign,
            "coverage": selectors.coverage(campaign),
            "target_lines": selectors.describe_target(campaign.target),
            "targets": services.target_sites(campaign.target).select_related("street", "site_type")[:500],
            "draws": draws,
            "form": form,
            "can_manage": can_manage,
            "inspections": inspections[:200],
        },
        status=422 if form.errors else 200,
    )


@login_required
@government_only(not_found=True)
def campaign_due(request, pk: int):
    campaign = _campaign(request, pk)
    today = timezone.localdate()
    if request.GET.get("today"):
        with contextlib.suppress(ValueError):
            today = dt.date.fromisoformat(request.GET["today"])
    rows = selectors.schedule(campaign, today)
    return render(
        request,
        "inspections/campaign_due.html",
        {
            "campaign": campaign,
            "today": today,
            "late": [r for r in rows if r.late],
            "due": [r for r in rows if not r.late and not r.done_in_slot],
            "done": [r for r in rows if r.done_in_slot and not r.late],
        },
    )


# --- Checklists -----------------------------------------------------------------------------


@login_required
def checklist_list(request):
    checklists = access.visible_checklists(request.user).prefetch_related("versions", "sectors")
    return render(
        request,
        "inspections/checklist_list.html",
        {"checklists": checklists, "can_manage": access.can_manage_checklists(request.user)},
    )


@login_required
def checklist_create(request):
    if not access.can_manage_checklists(request.user):
        raise Http404
    form = ChecklistForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        items_text = data.pop("items_text")
        try:
            checklist = services.checklist_create(actor=request.user, data=data, items_text=items_text)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("inspections:checklist_detail", pk=checklist.pk)
    return render(
        request, "inspections/form.html", {"form": form, "title": "新建检查表"}, status=422 if form.errors else 200
    )


def _groups(version) -> list[dict]:
    groups: list[dict] = []
    for item in version.items.select_related("category"):
        if not groups or groups[-1]["name"] != item.group:
            groups.append({"name": item.group, "items": []})
        groups[-1]["items"].append(
            {
                "code": item.code,
                "text": item.text,
                "clause": item.clause,
                "major": item.major,
                "category": item.category.code if item.category_id else "",
                "obj": item,
            }
        )
    return groups


@login_required
def checklist_detail(request, pk: int):
    checklist = get_from_or_404(access.visible_checklists(request.user), request.user, pk=pk)
    versions = list(checklist.versions.select_related("created_by"))
    selected = versions[0] if versions else None
    if request.GET.get("version"):
        selected = next((v for v in versions if str(v.number) == request.GET["version"]), selected)
    groups = _groups(selected) if selected else []
    can_manage = access.can_manage_checklists(request.user)
    form = PublishForm(
        request.POST or None,
        initial={"items_text": to_lines([{**g, "items": [dict(i) for i in g["items"]]} for g in groups])},
    )
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            try:
                version = services.checklist_publish(actor=request.user, checklist=checklist, **form.cleaned_data)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, f"已发布第{version.number}版。")
                return redirect("inspections:checklist_detail", pk=checklist.pk)
    return render(
        request,
        "inspections/checklist_detail.html",
        {
            "checklist": checklist,
            "versions": versions,
            "selected": selected,
            "groups": groups,
            "form": form,
            "can_manage": can_manage,
        },
        status=422 if form.errors else 200,
    )


# --- 企业自查 --------------------------------------------------------------------------------


@login_required
def self_check(request):
    unit_ids = access.enterprise_unit_ids(request.user)
    if not unit_ids:
        raise Http404
    sites = selectors.self_check_sites(unit_ids)
    form = SelfCheckForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_create(
                actor=request.user, data={**form.cleaned_data, "kind": InspectionKind.SELF_CHECK}
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("inspections:detail", pk=inspection.pk)
    mine = access.visible_inspections(request.user).filter(kind=InspectionKind.SELF_CHECK).select_related("site")
    return render(
        request,
        "inspections/self_check.html",
        {"form": form, "inspections": mine[:100], "phase_after": PhotoPhase.AFTER},
        status=422 if form.errors else 200,
    )
