"""Cross-cutting middleware: request context and security headers."""

from __future__ import annotations

import re
import sys

from django.conf import settings
from django.core.signals import got_request_exception

from .context import RequestContext, client_ip_from_request, new_request_id, use_context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Gives each request an id (honouring a sane incoming X-Request-ID) and
    makes it and the client IP available to the audit trail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else new_request_id()
        ctx = RequestContext(
            request_id=request_id,
            client_ip=client_ip_from_request(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
        request.request_id = request_id
        with use_context(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response
    (Django's SecurityMiddleware covers the rest)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Pages with personal data must not linger in shared caches.
            response.setdefault("Cache-Control", "no-store")
        return response


BUSY_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>系统繁忙</title></head>'
    '<body style="font-family: sans-serif; margin: 3rem;"><h1>系统繁忙</h1><p>{message}</p>'
    '<p><a href="/">返回首页</a></p></body></html>'
)


def _note_database_busy(sender, request=None, **kwargs) -> None:
    """Django is about to turn an exception into a 500 (one raised outside the
    view, e.g. by the session save): note on the request whether it was a
    lock error, so DatabaseBusyMiddleware can answer 503 instead."""
    from .services import is_database_busy

    exc = sys.exc_info()[1]
    if request is not None and exc is not None and is_database_busy(exc):
        request.zhiben_database_busy = True


class DatabaseBusyMiddleware:
    """A transient database lock is never a 500: a lock error (or
    :class:`~zhiben.core.services.DatabaseBusy`) raised by a view or by a
    middleware below this one is answered 503 with a Chinese message and
    ``Retry-After`` (JSON in the API's error shape under ``/api/``, a small
    page elsewhere). 503 responses the API built from DatabaseBusy get their
    ``Retry-After`` here too."""

    def __init__(self, get_response):
        self.get_response = get_response
        got_request_exception.connect(_note_database_busy, dispatch_uid="zhiben.core.database_busy")

    def __call__(self, request):
        from .services import DatabaseBusy

        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "zhiben_database_busy", False):
            return self.busy_response(request)
        if response.status_code == 503 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(DatabaseBusy.retry_after)
        return response

    def process_exception(self, request, exception):
        from .services import is_database_busy

        if not is_database_busy(exception):
            return None
        return self.busy_response(request, getattr(exception, "message", ""))

    @staticmethod
    def busy_response(request, message: str = ""):
        from django.http import HttpResponse, JsonResponse

        from .services import BUSY_MESSAGE, DatabaseBusy

        message = message or BUSY_MESSAGE
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"code": DatabaseBusy.default_code, "message": message, "details": None},
                status=503,
                json_dumps_params={"ensure_ascii": False},
            )
        else:
            response = HttpResponse(
                BUSY_PAGE.format(message=message), status=503, content_type="text/html; charset=utf-8"
            )
        response["Retry-After"] = str(DatabaseBusy.retry_after)
        return response
