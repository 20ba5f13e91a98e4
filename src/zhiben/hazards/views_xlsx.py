"""Hazard ledger ⇄ Excel pages: the import template, the upload (which
starts an import job, see zhiben.imports) and the export of the list as
filtered on the list page."""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from zhiben.audit.services import audit_record
from zhiben.core.errors import ServiceError
from zhiben.files.views import content_disposition
from zhiben.imports.models import ImportJob
from zhiben.imports.parsing import max_bytes, max_rows
from zhiben.imports.services import start_import
from zhiben.web.toolkit import apply_service_error, error_page

from .views import filtered_hazards
from .xlsx import XLSX_CONTENT_TYPE, HazardImporter, export_hazards, hazard_template


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": f".xlsx,{XLSX_CONTENT_TYPE}",
            }
        ),
        error_messages={"required": "请选择要导入的 Excel 文件", "empty": "文件为空"},
    )


def _require_importer(request) -> None:
    if not HazardImporter.can_import(request.user):
        audit_record(action="access.denied", actor=request.user, object_type="page", object_repr=request.path)
        raise PermissionDenied("只有区安委办、部门和街道人员可以批量导入隐患")


@login_required
@require_GET
def template_download(request):
    response = HttpResponse(hazard_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition("隐患导入模板.xlsx", as_attachment=True)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require_importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = start_import(actor=request.user, kind=HazardImporter.kind, upload=form.cleaned_data["file"])
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    recent = ImportJob.objects.filter(kind=HazardImporter.kind, created_by=request.user)[:10]
    context = {"form": form, "recent": recent, "max_rows": max_rows(), "max_mb": max_bytes() // 1024 // 1024}
    return render(request, "hazards_xlsx/import.html", context, status=422 if form.errors else 200)


@login_required
@require_GET
def export_download(request):
    """The list as filtered (same query string as the list page), within the
    user's scope. Written to a temporary file, which is deleted when the
    response is closed."""
    filterset, qs = filtered_hazards(request)
    if filterset.error_message:  # never export the whole list for a filter that was meant
        return error_page(request, 400, filterset.error_message)
    tmp = tempfile.NamedTemporaryFile(prefix="zhiben-export-", suffix=".xlsx")  # noqa: SIM115 (closed by FileResponse)
    try:
        count = export_hazards(qs, tmp)
        tmp.flush()
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    audit_record(
        action="hazard.export",
        actor=request.user,
        object_type="hazards.hazard",
        after={"rows": count, "query": request.GET.urlencode()},
    )
    filename = f"隐患台账_{timezone.localdate():%Y%m%d}.xlsx"
    response = FileResponse(tmp, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, as_attachment=True)
    return response
