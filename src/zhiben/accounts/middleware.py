"""Session timeouts and the second-factor gate."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from zhiben.audit.services import audit_record

SESSION_AUTH_AT = "_zb_auth_at"
SESSION_SEEN = "_zb_seen"
SEEN_WRITE_INTERVAL = 60  # seconds: refresh "last seen" at most once a minute


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _unauthenticated(request, message: str, code: str):
    if _is_api(request):
        return JsonResponse({"code": code, "message": message, "details": None}, status=401)
    messages.warning(request, message)
    return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}")


class SessionTimeoutMiddleware:
    """Ends a session after 30 minutes without a request or 12 hours after
    login, whichever comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            auth_at = session.get(SESSION_AUTH_AT)
            seen = session.get(SESSION_SEEN)
            if auth_at is None or seen is None:
                session[SESSION_AUTH_AT] = auth_at = now
                session[SESSION_SEEN] = seen = now
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if now - seen > idle or now - auth_at > absolute:
                reason = "idle" if now - seen > idle else "absolute"
                audit_record(action="auth.session_expired", actor=user, obj=user, after={"reason": reason})
                # Flush without sending user_logged_out: the event above says why.
                session.flush()
                request.user = _anonymous()
                message = "长时间未操作，会话已超时，请重新登录" if reason == "idle" else "登录已超过12小时，请重新登录"
                return _unauthenticated(request, message, "session_expired")
            if now - seen > SEEN_WRITE_INTERVAL:
                session[SESSION_SEEN] = now
        return self.get_response(request)


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


class SecondFactorMiddleware:
    """After the password, users with a TOTP device (and district
    administrators when ZHIBEN_REQUIRE_ADMIN_2FA is on) must pass a TOTP
    check before they can use anything but the verification pages."""

    allowed_prefixes = ("/accounts/otp/", "/accounts/logout/", "/static/", "/favicon")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(self.allowed_prefixes)
        ):
            from .services import second_factor_required, totp_confirmed_device

            if second_factor_required(user):
                if _is_api(request):
                    return JsonResponse(
                        {"code": "otp_required", "message": "请先完成双因素认证", "details": None}, status=401
                    )
                target = "accounts:otp_verify" if totp_confirmed_device(user) else "accounts:otp_setup"
                return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


def mark_second_factor_passed(request, device) -> None:
    from django_otp import login as otp_login

    otp_login(request, device)
    request.session.cycle_key()
