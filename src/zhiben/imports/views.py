"""Pages of imports, one view each for every kind of import.

* :func:`import_upload` — the upload page of a kind (form, the size and
  layout checks of ``core.tabular.check_upload`` via ``start_import``, then
  a redirect to the job page), rendered with ``imports/import.html`` from
  the importer's own description (title, sheet, list and template links,
  notes: see ``zhiben.imports.registry.Importer``);
* :func:`template_download` — the kind's import template;
* :func:`export_list` — not a view: what an app's export view returns. It
  counts the list's rows (the app's ``Exporter``, registry.py): up to
  ``ZHIBEN_EXPORT_INLINE_MAX`` the file is written in the request
  (:func:`export_response`, the export audited); above it an export job is
  started and the user redirected to its page;
* the export job pages (its creator's only): progress polled every second
  (htmx), then the download of the file until it expires;
* the job pages: the job page polls its progress partial every second
  (htmx) until the job is done or failed. A job whose worker is gone is
  recovered (marked failed, its writes undone) when its page or the list is
  shown, so the page says what happened.

An app mounts the first two in its own URLconf with ``{"kind": …}`` (e.g.
hazards/urls.py), so that its URL names and paths stay its own.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from zhiben.audit.services import audit_record
from zhiben.core.access import get_from_or_404
from zhiben.core.errors import PermissionDeniedError, ServiceError, ValidationFailed
from zhiben.core.tabular import XLSX_CONTENT_TYPE, max_bytes, max_rows
from zhiben.files.views import content_disposition
from zhiben.web.toolkit import apply_service_error, error_page

from . import selectors
from .access import can_start, visible_exports
from .exports import inline_max, recover_export
from .forms import ImportUploadForm
from .models import ExportJob, ImportJob
from .registry import ExportFilterError, get_exporter, get_importer
from .runner import recover_abandoned_jobs, recover_job
from .services import export_job_create, start_import


def get_job_or_404(user, pk: int) -> ImportJob:
    """The job if ``user`` may see it (access.visible_jobs), recovered first
    if its worker is gone; otherwise 404, and the attempt is audited."""
    job = get_from_or_404(selectors.job_for_page(user), user, pk=pk)
    if job.is_running and recover_job(job):
        job.refresh_from_db()
    return job


def _context(request, job: ImportJob) -> dict:
    result_url, result_label, upload_url = "", "", ""
    try:
        importer = get_importer(job.kind)(job=job, actor=request.user)
    except (LookupError, ImportError):
        importer = None
    if importer is not None:
        result_url, result_label, upload_url = importer.result_url(), importer.result_label(), importer.upload_url()
    return {"job": job, "result_url": result_url, "result_label": result_label, "upload_url": upload_url}


@login_required
@require_GET
def job_list(request):
    recover_abandoned_jobs(throttle=True)
    context = {"jobs": selectors.job_list(request.user), "exports": selectors.my_exports(request.user)}
    return render(request, "imports/list.html", context)


@login_required
@require_GET
def job_detail(request, pk: int):
    job = get_job_or_404(request.user, pk)
    return render(request, "imports/detail.html", _context(request, job))


@login_required
@require_GET
def job_progress(request, pk: int):
    job = get_job_or_404(request.user, pk)
    return render(request, "imports/_progress.html", _context(request, job))


# --- Upload, template and export of every kind ---------------------------------------------------


@login_required
@require_GET
def template_download(request, kind: str):
    importer = get_importer(kind)
    response = HttpResponse(importer.template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(importer.template_filename, as_attachment=True)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request, kind: str):
    importer = get_importer(kind)
    if not can_start(request.user, kind):
        audit_record(action="access.denied", actor=request.user, object_type="page", object_repr=request.path)
        raise PermissionDenied(importer.denied_message)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = start_import(actor=request.user, kind=kind, upload=form.cleaned_data["file"])
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    context = {
        "form": form,
        "recent": selectors.recent_jobs(request.user, kind),
        "max_rows": max_rows(),
        "max_mb": max_bytes() // 1024 // 1024,
        "kind": kind,
        "page": page_context(importer),
    }
    return render(request, "imports/import.html", context, status=422 if form.errors else 200)


def page_context(importer) -> dict[str, object]:
    """What imports/import.html shows of an importer (a class: templates would call it)."""
    return {
        "title": importer.title,
        "what": importer.page_what or importer.label,
        "sheet": importer.sheet,
        "list_url": importer.list_url,
        "list_label": importer.list_label,
        "template_url": importer.template_url,
        "notes": importer.page_notes,
    }


def export_response(
    request, *, action: str, object_type: str, filename: str, write: Callable[[IO[bytes]], int]
) -> FileResponse:
    """An app's export: ``write(file)`` (returns the number of rows) into a
    temporary file, deleted when the response is closed; the export is
    audited with the query string (the filters used). The download is named
    ``{filename}_{YYYYMMDD}.xlsx``."""
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


def export_list(request, kind: str) -> HttpResponse:
    """An app's list export (kind ``kind``): the list as filtered by ``request.GET`` within the
    user's scope. Up to ``ZHIBEN_EXPORT_INLINE_MAX`` rows the file is written in the request as
    before; above it an export job is started (``export_job_create``) and the user is sent to its
    page. Invalid filters are a 400 (never the whole list for a filter that was meant)."""
    exporter = get_exporter(kind)
    try:
        qs = exporter.select(request.user, request.GET)
    except ExportFilterError as exc:
        return error_page(request, 400, exc.message)
    total = qs.count()
    if total <= inline_max():
        return export_response(
            request,
            action=exporter.action,
            object_type=exporter.object_type,
            filename=exporter.filename,
            write=lambda fh: exporter.write(qs, fh, user=request.user),
        )
    try:
        job = export_job_create(actor=request.user, kind=kind, query=request.GET.urlencode(), total_rows=total)
    except (ValidationFailed, PermissionDeniedError) as exc:
        return error_page(request, 403 if isinstance(exc, PermissionDeniedError) else 400, exc.message)
    return redirect("imports:export_detail", pk=job.pk)


# --- Export jobs ---------------------------------------------------------------------------------


def get_export_or_404(user, pk: int) -> ExportJob:
    """The export job if it is ``user``'s own (access.visible_exports), recovered first if its
    worker is gone; otherwise 404, and the attempt is audited."""
    job = get_from_or_404(visible_exports(user).select_related("created_by"), user, pk=pk)
    if job.is_running and recover_export(job):
        job.refresh_from_db()
    return job


def _export_context(job: ExportJob) -> dict:
    try:
        list_url = get_exporter(job.kind).list_url
    except (LookupError, ImportError):
        list_url = ""
    return {"job": job, "list_url": list_url, "inline_max": inline_max()}


@login_required
@require_GET
def export_detail(request, pk: int):
    job = get_export_or_404(request.user, pk)
    return render(request, "imports/export_detail.html", _export_context(job))


@login_required
@require_GET
def export_progress(request, pk: int):
    job = get_export_or_404(request.user, pk)
    return render(request, "imports/_export_progress.html", _export_context(job))


@login_required
@require_GET
def export_download(request, pk: int):
    """The finished file, to its creator only (others: 404, audited); 404 once it expired."""
    job = get_export_or_404(request.user, pk)
    if not job.is_downloadable:
        raise Http404("导出文件尚未生成或已过期删除")
    try:
        fh = default_storage.open(job.stored_name, "rb")
    except FileNotFoundError:
        raise Http404("导出文件已不存在") from None
    response = FileResponse(fh, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(job.filename, as_attachment=True)
    return response
