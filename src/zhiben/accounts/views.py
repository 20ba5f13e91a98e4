"""Login, logout, second factor, password and access tokens."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from zhiben.audit.services import audit_record
from zhiben.core.errors import ServiceError
from zhiben.org.services import user_change_password

from . import selectors, services
from .forms import LoginForm, OTPTokenForm, PasswordChangeForm, TokenCreateForm
from .middleware import mark_second_factor_passed


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out account+IP sees (called by django-axes)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/login.html",
        {
            "form": LoginForm(request, initial={"username": (credentials or {}).get("username", "")}),
            "lockout_message": (
                f"该账号在此地址连续 {settings.AXES_FAILURE_LIMIT} 次登录失败，已锁定 {minutes} 分钟，请稍后再试。"
            ),
        },
        status=403,
    )


class LogoutView(auth_views.LogoutView):
    pass


def _safe_next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
def otp_verify(request):
    device = services.totp_confirmed_device(request.user)
    if device is None:
        return redirect("accounts:otp_setup")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "验证失败次数过多，请稍候再试")
        elif device.verify_token(form.cleaned_data["token"]):
            mark_second_factor_passed(request, device)
            audit_record(action="auth.otp_passed", actor=request.user, obj=request.user)
            return redirect(_safe_next(request))
        else:
            audit_record(action="auth.otp_failed", actor=request.user, obj=request.user)
            form.add_error("token", "验证码不正确或已过期")
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _safe_next(request)})


def _qr_data_uri(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@login_required
def otp_setup(request):
    if services.totp_confirmed_device(request.user) is not None:
        messages.info(request, "您已启用双因素认证。")
        return redirect("accounts:security")
    device = services.totp_pending_device(request.user)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_enrol(actor=request.user, token=form.cleaned_data["token"])
        except ServiceError as exc:
            form.add_error("token", exc.message)
        else:
            mark_second_factor_passed(request, device)
            messages.success(request, "双因素认证已启用，今后登录需输入身份验证器中的6位验证码。")
            return redirect(_safe_next(request, "/accounts/security/"))
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "secret": secret, "qr": _qr_data_uri(device.config_url), "next": _safe_next(request, "")},
    )


@login_required
def security(request):
    """账号安全: password, second factor, tokens."""
    tokens = selectors.tokens_of(request.user)
    return render(
        request,
        "accounts/security.html",
        {
            "device": services.totp_confirmed_device(request.user),
            "tokens": tokens,
            "token_form": TokenCreateForm(),
            "password_form": PasswordChangeForm(),
            "new_token": request.session.pop("_zb_new_token", None),
        },
    )


@login_required
@require_POST
def password_change(request):
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        had_tokens = any(t.is_usable for t in selectors.tokens_of(request.user))
        try:
            user = user_change_password(
                actor=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ServiceError as exc:
            for field, msg in (exc.details or {}).items():
                form.add_error(field if field in form.fields else None, msg if isinstance(msg, str) else "；".join(msg))
            if not exc.details:
                form.add_error(None, exc.message)
        else:
            update_session_auth_hash(request, user)
            # Changing the password revoked every access token (accounts.signals).
            messages.success(request, "密码已修改，原有访问令牌已全部撤销。" if had_tokens else "密码已修改。")
            return redirect("accounts:security")
    return render(
        request,
        "accounts/security.html",
        {
            "device": services.totp_confirmed_device(request.user),
            "tokens": selectors.tokens_of(request.user),
            "token_form": TokenCreateForm(),
            "password_form": form,
        },
        status=422,
    )


@login_required
@require_POST
def otp_remove(request):
    try:
        services.totp_remove(actor=request.user, user=request.user, reason="用户自行解绑")
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已解除双因素认证绑定。")
    return redirect("accounts:security")


@login_required
@require_POST
def token_create(request):
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            _, full = services.token_create(
                actor=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            request.session["_zb_new_token"] = full
            messages.success(request, "令牌已创建。请立即复制保存，离开本页后将无法再次查看。")
    else:
        messages.error(request, "请填写令牌用途并选择有效期。")
    return redirect("accounts:security")


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = selectors.token_of(request.user, pk)
    if token is None:
        raise Http404("令牌不存在")
    try:
        services.token_revoke(actor=request.user, token=token)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"令牌“{token.name}”已撤销。")
    return redirect("accounts:security")
