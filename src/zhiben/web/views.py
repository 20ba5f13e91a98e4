"""Pages of the web shell: workspace, organizations, users, audit."""

from __future__ import annotations

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from zhiben.accounts.services import totp_confirmed_device, totp_remove
from zhiben.audit.models import AuditChainHead, AuditEvent
from zhiben.audit.services import audit_record, verify_chain
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ServiceError
from zhiben.org import services as org_services
from zhiben.org.models import Membership, Organization, User
from zhiben.registry.models import Unit

from .access import government_only, is_government
from .forms import (
    AuditFilterSet,
    MembershipForm,
    OrganizationFilterSet,
    PasswordResetForm,
    ReasonForm,
    UserCreateForm,
    UserFilterSet,
    UserProfileForm,
)
from .toolkit import apply_service_error, error_page, paginate, wants_json


def require_admin(request: HttpRequest) -> None:
    if not org_services.can_manage_users(request.user):
        audit_record(action="access.denied", actor=request.user, object_type="page", object_repr=request.path)
        raise PermissionDenied("仅区安委办管理员可访问")


# --- Workspace ------------------------------------------------------------------------


@login_required
def workspace(request):
    user = request.user
    context = {
        "memberships": user.active_memberships(),
        "org_count": Organization.objects.restrict(user, "view").count(),
        "unit_count": Unit.objects.restrict(user, "view").count(),
        "my_events": AuditEvent.objects.filter(actor=user).order_by("-id")[:8],
        "has_totp": totp_confirmed_device(user) is not None,
        "is_admin": org_services.can_manage_users(user),
        "is_government": is_government(user),
        "own_units": [m.unit for m in user.active_memberships() if m.unit_id],
    }
    # Apps add their own panels: AppConfig.workspace_panel(request) -> (template, context) or None.
    panels = []
    for config in apps.get_app_configs():
        hook = getattr(config, "workspace_panel", None)
        panel = hook(request) if callable(hook) else None
        if panel:
            panels.append(panel)
    context["panels"] = panels
    if context["is_admin"]:
        context["user_total"] = User.objects.filter(is_active=True).count()
        context["audit_head"] = AuditChainHead.objects.filter(pk=1).first()
        context["recent_denials"] = AuditEvent.objects.filter(
            action__in=["access.denied", "auth.login_failed", "auth.locked_out"]
        ).order_by("-id")[:8]
    return render(request, "web/workspace.html", context)


# --- Organizations ----------------------------------------------------------------------


@login_required
@government_only
def organization_list(request):
    base = Organization.objects.restrict(request.user, "view").prefetch_related("aliases")
    filterset = OrganizationFilterSet(request.GET, queryset=base)
    qs = filterset.qs.order_by("path")
    return render(request, "web/organization_list.html", {"filter": filterset, **paginate(request, qs, 100)})


@login_required
@government_only(not_found=True)
def organization_detail(request, pk: int):
    org = get_scoped_or_404(Organization, request.user, "view", pk=pk)
    children = Organization.objects.restrict(request.user, "view").filter(parent=org)
    members = []
    if org_services.can_manage_users(request.user):
        members = Membership.objects.filter(organization=org, is_active=True).select_related("user", "unit")
    return render(
        request,
        "web/organization_detail.html",
        {
            "org": org,
            "children": children,
            "members": members,
            "aliases": org.aliases.all(),
            "ancestors": org.ancestors().order_by("depth"),
        },
    )


# --- Users (administrators) ----------------------------------------------------------------


@login_required
def user_list(request):
    require_admin(request)
    base = User.objects.prefetch_related("memberships__organization").order_by("username")
    filterset = UserFilterSet(request.GET, queryset=base)
    return render(request, "web/user_list.html", {"filter": filterset, **paginate(request, filterset.qs)})


@login_required
def user_create(request):
    require_admin(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = org_services.user_create(actor=request.user, **data)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, f"用户“{user}”已创建。")
            return redirect("web:user_detail", pk=user.pk)
    return render(request, "web/user_form.html", {"form": form}, status=422 if form.errors else 200)


def _user_detail_context(request, user: User, **forms) -> dict:
    return {
        "subject": user,
        "memberships": user.memberships.select_related("organization", "unit").order_by("-is_active", "id"),
        "has_totp": totp_confirmed_device(user) is not None,
        "events": AuditEvent.objects.filter(object_type="org.user", object_id=str(user.pk)).order_by("-id")[:20],
        "membership_form": forms.get("membership_form") or MembershipForm(),
        "profile_form": forms.get("profile_form")
        or UserProfileForm(initial={"display_name": user.display_name, "phone": user.phone, "email": user.email}),
        "reason_form": forms.get("reason_form") or ReasonForm(),
        "password_form": forms.get("password_form") or PasswordResetForm(),
    }


@login_required
def user_detail(request, pk: int):
    require_admin(request)
    user = get_scoped_or_404(User, request.user, "change", pk=pk)
    return render(request, "web/user_detail.html", _user_detail_context(request, user))


def _user_action(request, pk: int, form_class, form_key: str, perform, success: str):
    require_admin(request)
    subject = get_scoped_or_404(User, request.user, "change", pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is None or form.is_valid():
        try:
            perform(subject, form.cleaned_data if form else {})
        except ServiceError as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect("web:user_detail", pk=pk)
            apply_service_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("web:user_detail", pk=pk)
    context = _user_detail_context(request, subject, **{form_key: form})
    return render(request, "web/user_detail.html", context, status=422)


@login_required
@require_POST
def user_update(request, pk: int):
    return _user_action(
        request,
        pk,
        UserProfileForm,
        "profile_form",
        lambda u, d: org_services.user_update(actor=request.user, user=u, **d),
        "资料已保存。",
    )


@login_required
@require_POST
def user_disable(request, pk: int):
    return _user_action(
        request,
        pk,
        ReasonForm,
        "reason_form",
        lambda u, d: org_services.user_set_active(actor=request.user, user=u, active=False, reason=d["reason"]),
        "账号已停用，其登录会话随即失效。",
    )


@login_required
@require_POST
def user_enable(request, pk: int):
    return _user_action(
        request,
        pk,
        None,
        "",
        lambda u, d: org_services.user_set_active(actor=request.user, user=u, active=True),
        "账号已启用。",
    )


@login_required
@require_POST
def user_reset_password(request, pk: int):
    return _user_action(
        request,
        pk,
        PasswordResetForm,
        "password_form",
        lambda u, d: org_services.user_reset_password(actor=request.user, user=u, new_password=d["new_password"]),
        "密码已重置，该用户的现有会话已失效。",
    )


@login_required
@require_POST
def user_remove_totp(request, pk: int):
    return _user_action(
        request,
        pk,
        ReasonForm,
        "reason_form",
        lambda u, d: totp_remove(actor=request.user, user=u, reason=d["reason"]),
        "已解除该用户的双因素认证，其下次登录时可重新绑定。",
    )


@login_required
@require_POST
def membership_add(request, pk: int):
    return _user_action(
        request,
        pk,
        MembershipForm,
        "membership_form",
        lambda u, d: org_services.membership_add(actor=request.user, user=u, **d),
        "已添加任职。",
    )


@login_required
@require_POST
def membership_remove(request, pk: int, membership_id: int):
    require_admin(request)
    membership = Membership.objects.filter(pk=membership_id, user_id=pk).first()
    if membership is None:
        from django.http import Http404

        raise Http404("任职不存在")
    return _user_action(
        request,
        pk,
        None,
        "",
        lambda u, d: org_services.membership_remove(actor=request.user, membership=membership),
        "已撤销任职。",
    )


# --- Audit (administrators) -----------------------------------------------------------------


@login_required
def audit_list(request):
    require_admin(request)
    filterset = AuditFilterSet(request.GET, queryset=AuditEvent.objects.restrict(request.user, "view"))
    return render(
        request, "web/audit_list.html", {"filter": filterset, **paginate(request, filterset.qs.order_by("-id"))}
    )


@login_required
def audit_detail(request, pk: int):
    require_admin(request)
    event = get_scoped_or_404(AuditEvent, request.user, "view", pk=pk)
    return render(request, "web/audit_detail.html", {"event": event})


@login_required
@require_POST
def audit_verify(request):
    require_admin(request)
    problem = next(verify_chain(), None)
    audit_record(action="audit.verify", actor=request.user, after={"ok": problem is None})
    if problem is None:
        messages.success(request, f"审计链完整：{AuditEvent.objects.count()} 条记录哈希逐条校验通过。")
    else:
        messages.error(request, f"审计链校验失败：{problem.message}")
    return redirect("web:audit_list")


# --- Errors ---------------------------------------------------------------------------------
# Chinese pages, never Django's technical ones. They are rendered without the
# request's context processors (no menu, no inbox count), so an error page needs
# neither the database nor a session: the 500 page still shows when the
# database is what failed.

PLAIN_500 = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>500 服务器内部错误 · 治本</title></head>'
    "<body><h1>500 服务器内部错误</h1><p>服务器内部错误，请稍后再试或联系管理员。</p>"
    '<p><a href="/">返回工作台</a></p></body></html>'
)


def error_404(request, exception=None):
    return error_page(request, 404)


def error_403(request, exception=None):
    return error_page(request, 403, str(exception or ""))


def error_500(request):
    try:
        return error_page(request, 500)
    except Exception:  # the page itself failed (a missing static manifest …): plain text still answers
        return HttpResponseServerError(PLAIN_500)


def error_400(request, exception=None):
    return error_page(request, 400)


def csrf_failure(request, reason: str = ""):
    if wants_json(request):
        return JsonResponse(
            {"code": "csrf_failed", "message": "CSRF 校验失败，请刷新页面后重试", "details": None}, status=403
        )
    return error_page(request, 403, "页面已过期或来源不可信（CSRF 校验失败），请刷新页面后重试。")


def favicon(request):
    """``/favicon.ico``: browsers and tools ask for it at the root."""
    response = HttpResponseRedirect(static("zhiben/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response
