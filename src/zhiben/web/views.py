"""Pages of the web shell: the workspace, the favicon and the error handlers.

The organization and user-administration pages are the org app's
(``org/views.py``), the audit-log pages the audit app's (``audit/views.py``).
Removing a user's second factor stays here: the page is org's, the service
(``accounts.services.totp_remove``) belongs to accounts, which sits above org,
and web is the app above both.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_POST

from zhiben.accounts.services import totp_confirmed_device, totp_remove
from zhiben.audit.models import AuditChainHead, AuditEvent
from zhiben.org.access import can_manage_users
from zhiben.org.forms import ReasonForm
from zhiben.org.models import Organization, User
from zhiben.org.views import user_action
from zhiben.registry.models import Unit

from .access import is_government
from .toolkit import error_page, wants_json

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
        "is_admin": can_manage_users(user),
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


# --- The second factor of a user (administrators; the page is org's) -----------------------


@login_required
@require_POST
def user_remove_totp(request, pk: int):
    return user_action(
        request,
        pk,
        ReasonForm,
        "reason_form",
        lambda u, d: totp_remove(actor=request.user, user=u, reason=d["reason"]),
        "已解除该用户的双因素认证，其下次登录时可重新绑定。",
    )


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
