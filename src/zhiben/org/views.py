"""Pages of the organization directory (government side) and of user
administration (区安委办管理员): users, their memberships, passwords and
account status.

Removing a user's second factor is the accounts app's service, which sits above
org: that one action's view is ``web.views.user_remove_totp`` (same URL), built
on :func:`user_action` here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhiben.audit.models import AuditEvent
from zhiben.audit.services import audit_record
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ServiceError
from zhiben.web.access import government_only
from zhiben.web.toolkit import apply_service_error, paginate

from . import services as org_services
from .access import can_manage_users
from .forms import (
    MembershipForm,
    OrganizationFilterSet,
    PasswordResetForm,
    ReasonForm,
    UserCreateForm,
    UserFilterSet,
    UserProfileForm,
)
from .models import Membership, Organization, User


def require_admin(request: HttpRequest) -> None:
    """User administration is the district office's; anyone else gets a 403, audited."""
    if not can_manage_users(request.user):
        audit_record(action="access.denied", actor=request.user, object_type="page", object_repr=request.path)
        raise PermissionDenied("仅区安委办管理员可访问")


# --- Organizations ----------------------------------------------------------------------


@login_required
@government_only
def organization_list(request):
    base = Organization.objects.restrict(request.user, "view").prefetch_related("aliases")
    filterset = OrganizationFilterSet(request.GET, queryset=base)
    qs = filterset.qs.order_by("path")
    return render(request, "org/organization_list.html", {"filter": filterset, **paginate(request, qs, 100)})


@login_required
@government_only(not_found=True)
def organization_detail(request, pk: int):
    org = get_scoped_or_404(Organization, request.user, "view", pk=pk)
    children = Organization.objects.restrict(request.user, "view").filter(parent=org)
    members = []
    if can_manage_users(request.user):
        members = Membership.objects.filter(organization=org, is_active=True).select_related("user", "unit")
    return render(
        request,
        "org/organization_detail.html",
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
    return render(request, "org/user_list.html", {"filter": filterset, **paginate(request, filterset.qs)})


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
            return redirect("org:user_detail", pk=user.pk)
    return render(request, "org/user_form.html", {"form": form}, status=422 if form.errors else 200)


def _has_totp(user: User) -> bool:
    """A confirmed authenticator (as ``accounts.services.totp_confirmed_device``)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _user_detail_context(request, user: User, **forms) -> dict:
    return {
        "subject": user,
        "memberships": user.memberships.select_related("organization", "unit").order_by("-is_active", "id"),
        "has_totp": _has_totp(user),
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
    return render(request, "org/user_detail.html", _user_detail_context(request, user))


def user_action(request, pk: int, form_class, form_key: str, perform, success: str):
    """One action on the user page: the form posted (if any) is validated and
    ``perform(user, cleaned_data)`` called; success redirects to the page, a
    refusal re-renders it with the form's errors (422)."""
    require_admin(request)
    subject = get_scoped_or_404(User, request.user, "change", pk=pk)
    form = form_class(request.POST) if form_class else None
    if form is None or form.is_valid():
        try:
            perform(subject, form.cleaned_data if form else {})
        except ServiceError as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect("org:user_detail", pk=pk)
            apply_service_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("org:user_detail", pk=pk)
    context = _user_detail_context(request, subject, **{form_key: form})
    return render(request, "org/user_detail.html", context, status=422)


@login_required
@require_POST
def user_update(request, pk: int):
    return user_action(
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
    return user_action(
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
    return user_action(
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
    return user_action(
        request,
        pk,
        PasswordResetForm,
        "password_form",
        lambda u, d: org_services.user_reset_password(actor=request.user, user=u, new_password=d["new_password"]),
        "密码已重置，该用户的现有会话已失效。",
    )


@login_required
@require_POST
def membership_add(request, pk: int):
    return user_action(
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
        raise Http404("任职不存在")
    return user_action(
        request,
        pk,
        None,
        "",
        lambda u, d: org_services.membership_remove(actor=request.user, membership=membership),
        "已撤销任职。",
    )
