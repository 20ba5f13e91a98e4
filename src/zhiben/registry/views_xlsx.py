"""Units and sites ⇄ Excel pages: the import templates, the uploads (which
start import jobs, see zhiben.imports) and the exports of the lists as
filtered on the list pages, within the viewer's scope."""

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
from zhiben.web.toolkit import apply_service_error

from .views import filtered_sites, filtered_units
from .xlsx import (
    SITE_SHEET,
    UNIT_SHEET,
    XLSX_CONTENT_TYPE,
    SiteImporter,
    UnitImporter,
    export_sites,
    export_units,
    site_template,
    unit_template,
)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": f".xlsx,{XLSX_CONTENT_TYPE}"}),
        error_messages={"required": "请选择要导入的 Excel 文件", "empty": "文件为空"},
    )


KINDS = {
    "units": {
        "importer": UnitImporter,
        "title": "批量导入生产经营单位",
        "what": "单位",
        "list_url": "registry:unit_list",
        "list_label": "返回单位列表",
        "template_url": "registry_xlsx:unit_template",
        "template_name": "单位导入模板.xlsx",
        "template": unit_template,
        "sheet": UNIT_SHEET,
        "denied": "只有区安委办和部门人员可以批量导入单位",
    },
    "sites": {
        "importer": SiteImporter,
        "title": "批量导入场所",
        "what": "场所",
        "list_url": "registry:site_list",
        "list_label": "返回场所列表",
        "template_url": "registry_xlsx:site_template",
        "template_name": "场所导入模板.xlsx",
        "template": site_template,
        "sheet": SITE_SHEET,
        "denied": "只有区安委办、部门和街道人员可以批量导入场所",
    },
}


def _require_importer(request, kind: str) -> None:
    if not KINDS[kind]["importer"].can_import(request.user):
        audit_record(action="access.denied", actor=request.user, object_type="page", object_repr=request.path)
        raise PermissionDenied(KINDS[kind]["denied"])


def _template_download(request, kind: str):
    spec = KINDS[kind]
    response = HttpResponse(spec["template"](), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(spec["template_name"], as_attachment=True)
    return response


def _import_upload(request, kind: str):
    _require_importer(request, kind)
    spec = KINDS[kind]
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = start_import(actor=request.user, kind=kind, upload=form.cleaned_data["file"])
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    recent = ImportJob.objects.filter(kind=kind, created_by=request.user)[:10]
    context = {
        "form": form,
        "recent": recent,
        "max_rows": max_rows(),
        "max_mb": max_bytes() // 1024 // 1024,
        "kind": kind,
        "spec": spec,
    }
    return render(request, "registry_xlsx/import.html", context, status=422 if form.errors else 200)


def _export_response(request, *, action: str, object_type: str, filename: str, write) -> FileResponse:
    """Write to a temporary file (deleted when the response is closed) and
    audit the export with the filters used."""
    tmp = tempfile.NamedTemporaryFile(prefix="zhiben-export-", suffix=".xlsx")  # noqa: SIM115 (closed by FileResponse)
    try:
        count = write(tmp)
        tmp.flush()
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    audit_record(
        action=action,
        actor=request.user,
        object_type=object_type,
        after={"rows": count, "query": request.GET.urlencode()},
    )
    response = FileResponse(tmp, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        f"{filename}_{timezone.localdate():%Y%m%d}.xlsx", as_attachment=True
    )
    return response


@login_required
@require_GET
def unit_template_download(request):
    return _template_download(request, "units")


@login_required
@require_GET
def site_template_download(request):
    return _template_download(request, "sites")


@login_required
@require_http_methods(["GET", "POST"])
def unit_import(request):
    return _import_upload(request, "units")


@login_required
@require_http_methods(["GET", "POST"])
def site_import(request):
    return _import_upload(request, "sites")


@login_required
@require_GET
def unit_export(request):
    """The unit list as filtered (same query string as /units/), within the
    viewer's scope; phones masked unless the viewer may see them."""
    _, qs = filtered_units(request)
    return _export_response(
        request,
        action="unit.export",
        object_type="registry.unit",
        filename="生产经营单位",
        write=lambda fh: export_units(qs, fh, user=request.user),
    )


@login_required
@require_GET
def site_export(request):
    """The site list as filtered (same query string as /sites/), within the
    viewer's scope."""
    _, qs = filtered_sites(request)
    return _export_response(
        request,
        action="site.export",
        object_type="registry.site",
        filename="场所与点位",
        write=lambda fh: export_sites(qs, fh),
    )
