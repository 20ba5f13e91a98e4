"""Pages of the tips app: the public form and tracking page (no login), the
site QR code, and the staff pages (list, entry, detail with triage)."""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from zhiben.audit.models import AuditEvent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.context import client_ip_from_request
from zhiben.core.errors import ServiceError, ValidationFailed
from zhiben.files.views import serve_file
from zhiben.hazards.models import Hazard
from zhiben.hazards.services import PossibleDuplicate
from zhiben.registry.models import Site
from zhiben.web.toolkit import apply_service_error, paginate, post_transition, transition_forms

from . import access, ratelimit, selectors, services, workflow
from .choices import TipStatus
from .forms import (
    AcceptForm,
    LinkForm,
    PublicTipForm,
    RejectForm,
    ReplyForm,
    RewardForm,
    StaffTipForm,
    TrackForm,
    TransferForm,
)
from .models import Tip, TipPhoto, reply_working_days

RATE_MESSAGE = "提交过于频繁，请 {minutes} 分钟后再试"


def _minutes(rate: tuple[int, int]) -> int:
    return max(1, rate[1] // 60)


# --- Public pages (no login) -------------------------------------------------------------------


@never_cache
@ensure_csrf_cookie
def report(request):
    """举报 form for anyone; ``?site=<场所码>`` names the site (QR code)."""
    site_param = request.POST.get("site") if request.method == "POST" else request.GET.get("site")
    site = services.find_site(site_param)
    if request.method != "POST":
        form = PublicTipForm(initial={"site": services.site_code(site) if site else ""})
        return render(
            request, "tips/public_form.html", {"form": form, "site": site, "bad_site": bool(site_param) and not site}
        )
    form = PublicTipForm(request.POST, request.FILES)
    ip = client_ip_from_request(request)
    # Two limits: accepted reports (a mistake in the form costs nothing) and,
    # higher, every POST whatever its outcome (a flood of bad ones).
    if not ratelimit.hit("attempt", ip, ratelimit.attempt_rate()):
        return _refused(request, form, site, ratelimit.attempt_rate())
    if ratelimit.exhausted("submit", ip, ratelimit.submit_rate()):
        return _refused(request, form, site, ratelimit.submit_rate())
    status = 422
    if form.is_valid():
        if form.cleaned_data.get("website"):
            form.add_error(None, "提交失败，请刷新页面后重试")
        elif not ratelimit.hit("submit", ip, ratelimit.submit_rate()):
            return _refused(request, form, site, ratelimit.submit_rate())
        else:
            try:
                tip, code = services.tip_submit(
                    actor=None, data=form.service_data(site), photos=form.cleaned_data["photos"]
                )
            except ServiceError as exc:
                ratelimit.unhit("submit", ip, ratelimit.submit_rate())
                apply_service_error(form, exc)
                if exc.status in (429, 503):  # busy: nothing is wrong with the report, send it again later
                    status = exc.status
            else:
                return render(
                    request, "tips/public_done.html", {"tip": tip, "code": code, "reply_days": reply_working_days()}
                )
    return render(request, "tips/public_form.html", {"form": form, "site": site}, status=status)


def _refused(request, form, site, rate: tuple[int, int]):
    form.is_valid()
    form.add_error(None, RATE_MESSAGE.format(minutes=_minutes(rate)))
    return render(request, "tips/public_form.html", {"form": form, "site": site}, status=429)


@never_cache
@ensure_csrf_cookie
def track(request):
    """The reporter enters the tracking code (POST, so it stays out of URLs
    and logs) and sees the status and the reply; nothing else."""
    form = TrackForm(request.POST or None)
    result, not_found, status = None, False, 200
    if request.method == "POST":
        if not ratelimit.hit("track", client_ip_from_request(request), ratelimit.track_rate()):
            form.is_valid()
            form.add_error(None, f"查询过于频繁，请 {_minutes(ratelimit.track_rate())} 分钟后再试")
            status = 429
        elif form.is_valid():
            tip = services.tip_by_tracking_code(form.cleaned_data["code"])
            if tip is None:
                not_found = True
            else:
                result = services.public_status(tip)
    return render(
        request, "tips/public_track.html", {"form": form, "result": result, "not_found": not_found}, status=status
    )


@login_required
def site_qr(request, code: str, fmt: str = "svg"):
    """The QR code of a site's 举报 link, for staff to print and post at the site."""
    field = "public_code" if any(f.name == "public_code" for f in Site._meta.fields) else "code"
    site = Site.objects.restrict(request.user, "view").filter(**{field: code.upper()}).first()
    if site is None:
        raise Http404("场所不存在或您无权访问")
    url = request.build_absolute_uri(f"{reverse('tips:report')}?site={services.site_code(site)}")
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    if fmt == "png":
        qr.save(buffer, kind="png", scale=10, border=4)
        content_type = "image/png"
    else:
        qr.save(buffer, kind="svg", scale=10, border=4, title=f"{site.name} 安全隐患举报", xmldecl=True)
        content_type = "image/svg+xml"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="report-{services.site_code(site)}.{fmt}"'
    return response


# --- Staff pages --------------------------------------------------------------------------------


@login_required
def tip_list(request):
    today = timezone.localdate()
    filterset, qs = selectors.filtered_tips(request.user, request.GET, today)
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("pk")))
    context = {
        "filter": filterset,
        "status_counts": [(s, counts.get(s.value, 0)) for s in TipStatus],
        "total": sum(counts.values()),
        "late_count": qs.late(today).count(),
        "today": today,
        "can_enter": access.can_enter(request.user),
        **paginate(request, qs.select_related("routed_to", "street", "site").order_by("-received_on", "-id")),
    }
    return render(request, "tips/list.html", context)


@login_required
def tip_create(request):
    if not access.can_enter(request.user):
        raise PermissionDenied
    form = StaffTipForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        site_param = form.cleaned_data.get("site_code")
        site = services.find_site(site_param)
        if site_param and site is None:
            form.add_error("site_code", "场所码不存在")
        else:
            try:
                tip, code = services.tip_submit(
                    actor=request.user, data=form.service_data(site), photos=form.cleaned_data["photos"]
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                visible = selectors.is_visible(request.user, tip.pk)
                return render(request, "tips/created.html", {"tip": tip, "code": code, "visible": visible})
    return render(request, "tips/form.html", {"form": form}, status=422 if form.errors else 200)


ACTION_FORMS = {
    "accept": AcceptForm,
    "link": LinkForm,
    "transfer": TransferForm,
    "reject": RejectForm,
    "reply": ReplyForm,
}


def _tip_for_detail(request, pk: int) -> Tip:
    return selectors.tip_for_detail(request.user, pk)


def _initial(tip: Tip, t) -> dict:
    initial = {}
    if t.name == "accept" and tip.site_id and tip.site.site_type.sector_id:
        initial["sector"] = tip.site.site_type.sector_id
    elif t.name == "accept" and tip.unit_id and tip.unit.sector_id:
        initial["sector"] = tip.unit.sector_id
    if t.name == "reply" and tip.reply:
        initial["text"] = tip.reply
    return initial


def _detail_context(request, tip: Tip, **forms) -> dict:
    today = timezone.localdate()
    actions = transition_forms(
        workflow.WORKFLOW, request.user, tip, ACTION_FORMS, bound=forms, initial=lambda t: _initial(tip, t)
    )
    can_reward = access.can_reward(request.user, tip)
    return {
        "tip": tip,
        "today": today,
        "is_late": tip.is_late(today),
        "reply_days": reply_working_days(),
        "contact": selectors.contact_for(request.user, tip),
        "actions": actions,
        "photos": list(tip.photos.select_related("file")),
        "events": AuditEvent.objects.filter(object_type="tips.tip", object_id=str(tip.pk)).order_by("id"),
        "rewards": tip.rewards.select_related("approved_by"),
        "can_reward": can_reward,
        "reward_form": forms.get("reward") or (RewardForm(initial={"approved_on": today}) if can_reward else None),
        "duplicates": forms.get("duplicates"),
    }


@login_required
def tip_detail(request, pk: int):
    tip = _tip_for_detail(request, pk)
    return render(request, "tips/detail.html", _detail_context(request, tip))


def _rerender(request, tip, key, form, exc: ServiceError | None = None, **extra):
    if exc is not None:
        apply_service_error(form, exc)  # shown once, on the form it concerns
    return render(request, "tips/detail.html", _detail_context(request, tip, **{key: form}, **extra), status=422)


@login_required
def tip_action(request, pk: int, name: str):
    """Every triage action of the detail page, through the workflow table."""

    def arguments(name: str, data: dict) -> dict:
        if name != "link":
            return data
        hazard = Hazard.objects.restrict(request.user, "view").filter(code=data["hazard_code"].strip().upper()).first()
        if hazard is None:
            message = "没有这个隐患编号，或您无权查看该隐患"
            raise ValidationFailed(message, details={"hazard_code": message})
        return {"hazard": hazard}

    def invalid(tip, key, form, exc):
        if isinstance(exc, PossibleDuplicate):
            messages.warning(request, exc.message + "。若是同一隐患请用“关联已有隐患”，否则勾选“已核对”后再受理。")
            return _rerender(request, tip, key, form, duplicates=exc.details)
        return _rerender(request, tip, key, form, exc)

    def refused(tip, exc):  # every action has a form: not reached
        return render(request, "tips/detail.html", _detail_context(request, tip), status=exc.status)

    def done(tip, t):
        if not selectors.is_visible(request.user, pk):
            return redirect("tips:list")  # transferred out of the user's scope
        return redirect("tips:detail", pk=pk)

    return post_transition(
        request,
        workflow.WORKFLOW,
        ACTION_FORMS,
        name,
        fetch=lambda: _tip_for_detail(request, pk),
        perform=services.tip_transition,
        invalid=invalid,
        refused=refused,
        done=done,
        arguments=arguments,
        versioned=False,
    )


@login_required
@require_POST
def tip_reward(request, pk: int):
    tip = _tip_for_detail(request, pk)
    form = RewardForm(request.POST)
    if not form.is_valid():
        return _rerender(request, tip, "reward", form)
    try:
        services.tip_reward_record(actor=request.user, tip=tip, **form.cleaned_data)
    except ServiceError as exc:
        return _rerender(request, tip, "reward", form, exc)
    messages.success(request, "奖励已登记。")
    return redirect("tips:detail", pk=pk)


@login_required
def tip_photo(request, pk: int, photo_id: int, variant: str = "original"):
    tip = get_scoped_or_404(Tip, request.user, "view", pk=pk)
    photo = TipPhoto.objects.filter(pk=photo_id, tip=tip).select_related("file").first()
    if photo is None:
        raise Http404("照片不存在")
    return serve_file(request, photo.file, variant=variant, filename=photo.original_name)
