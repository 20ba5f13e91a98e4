"""Errors on pages: a refused service call shown on the form it came from,
and the Chinese error page (or the API's error shape) for a status.

Error pages are rendered without the request's context processors (no menu,
no inbox count), so they need neither the database nor a session."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from zhiben.core.errors import ServiceError

UPLOAD_DETAIL_KEYS = ("file", "files")


def apply_service_error(form: forms.BaseForm, exc: ServiceError) -> None:
    """Show a refused service call on the form it came from, each problem once.

    A detail whose key is a field of the form goes on that field; an upload
    problem (``file``/``files``, see ``zhiben.files``) goes on the form's file
    input. Anything else is told once above the form by the error's message,
    which names every problem (``"…有误：A；B"``)."""
    details = dict(exc.details) if isinstance(exc.details, dict) else {}
    if "file" in details:
        details.pop("files", None)  # the per-file list behind the "file" summary
    file_fields = [name for name, field in form.fields.items() if isinstance(field, forms.FileField)]
    unplaced = not details
    for key, value in details.items():
        target = key if key in form.fields else None
        if target is None and key in UPLOAD_DETAIL_KEYS and len(file_fields) == 1:
            target = file_fields[0]
        if target is None:
            unplaced = True
            continue
        text = value if isinstance(value, str) else "；".join(str(v) for v in value)
        if text not in form.errors.get(target, []):
            form.add_error(target, text)
    if unplaced and exc.message not in form.non_field_errors():
        form.add_error(None, exc.message)


ERROR_PAGES = {
    400: ("请求有误", "请求的格式或参数不正确，请检查后重试。"),
    403: ("无权访问", "您没有执行此操作的权限。"),
    404: ("页面不存在", "页面不存在，或您无权访问该内容。"),
    500: ("服务器内部错误", "服务器内部错误，请稍后再试或联系管理员。"),
}
JSON_ERRORS = {
    400: ("bad_request", "请求有误"),
    403: ("permission_denied", "您没有执行此操作的权限"),
    404: ("not_found", "对象不存在或您无权访问"),
    500: ("server_error", "服务器内部错误，请联系管理员"),
}


def wants_json(request) -> bool:
    return request.path.startswith("/api/")


def error_page(request, status: int, message: str = "") -> HttpResponse:
    """The Chinese error page (or the API's error shape) for ``status``."""
    if wants_json(request):
        code, default = JSON_ERRORS[status]
        return JsonResponse({"code": code, "message": message or default, "details": None}, status=status)
    title, default = ERROR_PAGES[status]
    context = {"status": status, "title": title, "message": message or default}
    return HttpResponse(render_to_string(f"{status}.html", context), status=status)
