"""Pages of the hazard ledger."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ServiceError
from zhiben.files.views import serve_file
from zhiben.imports.views import export_list
from zhiben.registry.models import Site, Unit
from zhiben.web.toolkit import apply_service_error, paginate, post_transition
from zhiben.web.toolkit import transition_forms as page_transition_forms

from . import access, selectors, services, workflow
from .choices import EvidencePhase, HazardStatus
from .figures import hazard_figures
from .forms import (
    BulkAssignForm,
    ConfirmForm,
    EvidenceForm,
    FixOnSpotForm,
    HazardEditForm,
    HazardForm,
    PlanForm,
    ReasonForm,
    RecheckDrawForm,
    RecheckRecordForm,
    SubmitForm,
    SupervisionForm,
    TextForm,
    TransferForm,
    VerifyPassForm,
)
from .models import GovernancePlan, Hazard, HazardEvidence, RecheckBatch, RecheckItem, Supervision


def visible_hazards(user):
    return access.visible_hazards(user)


def filtered_hazards(request):
    """The user's hazards narrowed by the list's filters and ordered (the
    pages' and the Excel export's list; selectors.filtered_hazards)."""
    return selectors.filtered_hazards(request.user, request.GET, request.GET.get("order"))


@login_required
def hazard_list(request):
    filterset, qs = filtered_hazards(request)
    status_counts = selectors.status_counts(qs)
    context = {
        "filter": filterset,
        "status_counts": [(s, status_counts.get(s.value, 0)) for s in HazardStatus],
        "total": sum(status_counts.values()),
        "today": timezone.localdate(),
        "can_create": access.can_create_any(request.user),
        "assign_form": BulkAssignForm(),
        "assignees": access.assignable_users(request.user),
        **paginate(request, selectors.with_active_supervisions(qs)),
    }
    if request.htmx:
        return render(request, "hazards/_list_table.html", context)
    return render(request, "hazards/list.html", context)


@login_required
def hazard_listed(request):
    """挂牌督办晾晒: every logged-in department user sees all listed hazards."""
    return render(
        request,
        "hazards/listed.html",
        {"supervisions": selectors.listed_supervisions(), "today": timezone.localdate()},
    )


@login_required
def hazard_create(request):
    if not access.can_create_any(request.user):
        raise PermissionDenied("您的账号只能查看隐患，不能登记隐患。如需登记，请联系本单位管理员开通经办权限。")
    form = HazardForm(request.POST or None, request.FILES or None, user=request.user)
    duplicates = None
    if request.method == "POST":
        link_to = request.POST.get("link_to")
        if link_to and form.is_valid():
            target = get_scoped_or_404(Hazard, request.user, "view", pk=link_to)
            try:
                services.hazard_link_duplicate(
                    actor=request.user,
                    hazard=target,
                    text=f"{form.cleaned_data['found_on']} {form.cleaned_data['title']}：{form.cleaned_data['description']}",
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"已作为重复发现记入隐患 {target.code}，未新建隐患。")
                return redirect("hazards:detail", pk=target.pk)
        elif form.is_valid():
            try:
                hazard = services.hazard_create(
                    actor=request.user,
                    data=form.service_data(),
                    before_files=form.cleaned_data["before_files"],
                    allow_duplicate=bool(request.POST.get("allow_duplicate")),
                )
            except services.PossibleDuplicate as exc:
                duplicates = exc.details
                messages.warning(request, exc.message)
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, f"隐患 {hazard.code} 已上账，待主管部门确认。")
                return redirect("hazards:detail", pk=hazard.pk)
    status = 422 if form.errors else 200
    return render(
        request, "hazards/form.html", {"form": form, "duplicates": duplicates, "creating": True}, status=status
    )


@login_required
def hazard_edit(request, pk: int):
    hazard = get_scoped_or_404(Hazard, request.user, "change", pk=pk)
    initial = {f: getattr(hazard, f) for f in services.EDITABLE_FIELDS}
    form = HazardEditForm(request.POST or None, initial=initial, user=request.user, hazard=hazard)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        data["owner"] = hazard.owner
        try:
            services.hazard_update(actor=request.user, hazard=hazard, data=data, reason=request.POST.get("reason", ""))
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, "隐患信息已修改。")
            return redirect("hazards:detail", pk=hazard.pk)
    return render(
        request,
        "hazards/form.html",
        {"form": form, "hazard": hazard, "creating": False},
        status=422 if form.errors else 200,
    )


TRANSITION_FORMS = {
    "confirm": ConfirmForm,
    "submit": SubmitForm,
    "verify_pass": VerifyPassForm,
    "verify_fail": ReasonForm,
    "fix_on_spot": FixOnSpotForm,
    "transfer": TransferForm,
    "transfer_accept": None,
    "transfer_return": ReasonForm,
    "void": ReasonForm,
}


def _confirm_initial(hazard: Hazard) -> dict:
    return {
        "requirement": hazard.requirement,
        "deadline_kind": hazard.deadline_kind,
        "deadline": hazard.deadline,
        "level": hazard.level,
        "difficulty": hazard.difficulty,
        "responsible_person": hazard.responsible_person,
    }


def _detail_context(request, hazard: Hazard, **forms) -> dict:
    transition_forms = page_transition_forms(
        workflow.WORKFLOW,
        request.user,
        hazard,
        TRANSITION_FORMS,
        bound=forms,
        initial=lambda t: _confirm_initial(hazard) if t.name == "confirm" else {},
    )
    parties = workflow.parties(request.user, hazard)
    evidence = list(hazard.evidence.select_related("file", "uploaded_by"))
    events = selectors.timeline(hazard)
    plan = GovernancePlan.objects.filter(hazard=hazard).first()
    supervisions = hazard.supervisions.prefetch_related("feedback__author").select_related("opened_by")
    return {
        "hazard": hazard,
        "unit_visible": bool(hazard.unit_id)
        and Unit.objects.restrict(request.user, "view").filter(pk=hazard.unit_id).exists(),
        "site_visible": bool(hazard.site_id)
        and Site.objects.restrict(request.user, "view").filter(pk=hazard.site_id).exists(),
        "today": timezone.localdate(),
        "transition_forms": transition_forms,
        # Held back by a guard (shown so that people know what is missing); 即查即改 is
        # an option, not a step anyone waits for.
        "blocked": workflow.WORKFLOW.blocked(request.user, hazard, skip=("fix_on_spot",)),
        "parties": parties,
        "is_party": bool(parties),
        "can_edit": access.can_edit_now(request.user, hazard, parties),
        "can_plan": access.can_plan_now(request.user, hazard, parties),
        "can_supervise": access.can_supervise(request.user) and hazard.is_open,
        "before": [e for e in evidence if e.phase == EvidencePhase.BEFORE],
        "after": [e for e in evidence if e.phase == EvidencePhase.AFTER],
        "events": events,
        "plan": plan,
        "plan_form": forms.get("plan") or PlanForm(instance=plan or GovernancePlan(hazard=hazard)),
        "supervisions": supervisions,
        "supervision_form": forms.get("supervise") or SupervisionForm(),
        "feedback_form": TextForm(),
        "note_form": forms.get("note") or TextForm(),
        "evidence_form": forms.get("evidence") or EvidenceForm(),
        "transfers": hazard.transfers.select_related("from_org", "to_org", "requested_by", "decided_by"),
        "notes": hazard.notes.select_related("author"),
        "rechecks": hazard.rechecks.select_related("batch", "checked_by"),
    }


def _hazard_for_detail(request, pk: int) -> Hazard:
    return selectors.hazard_for_detail(request.user, pk)


@login_required
def hazard_detail(request, pk: int):
    hazard = _hazard_for_detail(request, pk)
    return render(request, "hazards/detail.html", _detail_context(request, hazard))


def _rerender(request, hazard: Hazard, key: str, form, exc: ServiceError | None = None):
    if exc is not None and form is None:
        messages.error(request, exc.message)  # nothing on the page to carry it
    elif exc is not None:
        apply_service_error(form, exc)
    if form is not None and form.errors:
        # The problems are shown once, on the form; the banner only points there.
        label = workflow.TRANSITIONS[key].label if key in workflow.TRANSITIONS else "操作"
        messages.error(request, f"“{label}”未完成，请按表单中的提示修改后重新提交。")
    return render(request, "hazards/detail.html", _detail_context(request, hazard, **{key: form}), status=422)


@login_required
def hazard_transition(request, pk: int, name: str):
    """Every action of the detail page's workflow panel, through the table."""

    def refused(hazard, exc):
        return render(request, "hazards/detail.html", _detail_context(request, hazard), status=exc.status)

    def done(hazard, t):
        if not access.visible_hazards(request.user).filter(pk=pk).exists():
            return redirect("hazards:list")  # e.g. returned a transfer the user only saw as its target
        return redirect("hazards:detail", pk=pk)

    return post_transition(
        request,
        workflow.WORKFLOW,
        TRANSITION_FORMS,
        name,
        fetch=lambda: _hazard_for_detail(request, pk),
        perform=services.hazard_transition,
        invalid=lambda hazard, key, form, exc: _rerender(request, hazard, key, form, exc),
        refused=refused,
        done=done,
    )


def _simple_post(request, pk: int, key: str, form_class, perform, success: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    hazard = _hazard_for_detail(request, pk)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return _rerender(request, hazard, key, form)
    try:
        perform(hazard, form.cleaned_data)
    except ServiceError as exc:
        return _rerender(request, hazard, key, form, exc)
    messages.success(request, success)
    return redirect("hazards:detail", pk=pk)


@login_required
def hazard_plan(request, pk: int):
    return _simple_post(
        request,
        pk,
        "plan",
        PlanForm,
        lambda h, d: services.governance_plan_save(actor=request.user, hazard=h, parts=d),
        "治理方案已保存。",
    )


@login_required
def hazard_supervise(request, pk: int):
    return _simple_post(
        request,
        pk,
        "supervise",
        SupervisionForm,
        lambda h, d: services.supervision_open(actor=request.user, hazard=h, **d),
        "已督办。",
    )


@login_required
def hazard_note(request, pk: int):
    return _simple_post(
        request,
        pk,
        "note",
        TextForm,
        lambda h, d: services.hazard_add_note(actor=request.user, hazard=h, text=d["text"]),
        "备注已添加。",
    )


@login_required
def hazard_evidence_add(request, pk: int):
    return _simple_post(
        request,
        pk,
        "evidence",
        EvidenceForm,
        lambda h, d: services.hazard_add_evidence(actor=request.user, hazard=h, phase=d["phase"], files=d["files"]),
        "材料已上传。",
    )


@login_required
@require_POST
def supervision_feedback(request, pk: int, supervision_id: int):
    hazard = _hazard_for_detail(request, pk)
    supervision = Supervision.objects.filter(pk=supervision_id, hazard=hazard).first()
    if supervision is None:
        raise Http404
    form = TextForm(request.POST)
    if not form.is_valid():
        return _rerender(request, hazard, "feedback", form)
    try:
        services.supervision_feedback_add(actor=request.user, supervision=supervision, text=form.cleaned_data["text"])
    except ServiceError as exc:
        return _rerender(request, hazard, "feedback", form, exc)
    messages.success(request, "督办反馈已提交。")
    return redirect("hazards:detail", pk=pk)


@login_required
@require_POST
def supervision_close(request, pk: int, supervision_id: int):
    hazard = _hazard_for_detail(request, pk)
    supervision = Supervision.objects.filter(pk=supervision_id, hazard=hazard).first()
    if supervision is None:
        raise Http404
    try:
        services.supervision_close(actor=request.user, supervision=supervision, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已解除督办。")
    return redirect("hazards:detail", pk=pk)


@login_required
def evidence_file(request, pk: int, evidence_id: int, variant: str = "original"):
    """A hazard's photo or PDF, for users who may see the hazard."""
    hazard = get_scoped_or_404(Hazard, request.user, "view", pk=pk)
    evidence = HazardEvidence.objects.filter(pk=evidence_id, hazard=hazard).select_related("file").first()
    if evidence is None:
        raise Http404("材料不存在")
    return serve_file(
        request,
        evidence.file,
        variant=variant,
        filename=evidence.original_name,
        as_attachment=request.GET.get("download") == "1",
    )


@login_required
@require_POST
def hazard_bulk_assign(request):
    next_url = request.POST.get("next") or ""
    back = next_url if next_url.startswith("/hazards/") else reverse("hazards:list")  # never off-site
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    ids = form.cleaned_data["hazards"]
    hazards = list(access.changeable_hazards(request.user).filter(pk__in=ids))
    if len(hazards) != len(set(ids)) or not ids:
        messages.error(request, "请选择您有权管理的隐患")
        return redirect(back)
    chosen = form.cleaned_data["assignee"]
    assignee = access.assignable_users(request.user).filter(pk=chosen.pk).first() if chosen else None
    if chosen and assignee is None:
        messages.error(request, "经办人无效")
        return redirect(back)
    try:
        count = services.hazard_assign(actor=request.user, hazards=hazards, assignee=assignee)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已为 {count} 条隐患指定经办人：{assignee or '（清除）'}")
    return redirect(back)


@login_required
def hazard_figures_view(request):
    _, qs = filtered_hazards(request)
    as_of = timezone.localdate()
    figures = hazard_figures(request.user, as_of, base=qs)
    return render(request, "hazards/figures.html", {"figures": figures})


# --- 回头看 -------------------------------------------------------------------------------------------


@login_required
def recheck_list(request):
    batches = selectors.recheck_batches(request.user)
    form = RecheckDrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.recheck_draw(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"已从 {batch.population} 条已销号隐患中抽取 {batch.items.count()} 条。")
            return redirect("hazards:recheck_detail", pk=batch.pk)
    return render(
        request, "hazards/recheck_list.html", {"batches": batches, "form": form}, status=422 if form.errors else 200
    )


@login_required
def recheck_detail(request, pk: int):
    batch = get_scoped_or_404(RecheckBatch, request.user, "view", pk=pk)
    items = batch.items.select_related("hazard", "hazard__owner", "checked_by")
    return render(
        request, "hazards/recheck_detail.html", {"batch": batch, "items": items, "record_form": RecheckRecordForm()}
    )


@login_required
@require_POST
def recheck_record(request, pk: int, item_id: int):
    batch = get_scoped_or_404(RecheckBatch, request.user, "view", pk=pk)
    item = get_scoped_or_404(RecheckItem, request.user, "view", pk=item_id, batch=batch)
    form = RecheckRecordForm(request.POST)
    if form.is_valid():
        try:
            services.recheck_record(actor=request.user, item=item, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, "复查结果已记录。" if form.cleaned_data["passed"] else "已记为返潮，隐患重新整改。"
            )
    else:
        messages.error(request, "请填写复查情况")
    return redirect("hazards:recheck_detail", pk=pk)


@login_required
@require_GET
def hazard_export(request):
    """The ledger as filtered on the list page (same query string), within the
    user's scope, as .xlsx (hazards/tabular.py, ``HazardExporter``): written in
    the request up to ZHIBEN_EXPORT_INLINE_MAX rows, else as a background export
    job (zhiben.imports.views.export_list). Invalid filters are a 400. The import
    template and upload pages are zhiben.imports' generic ones (urls.py)."""
    return export_list(request, "hazards")
