"""API of background jobs: import jobs (the caller's own; every job for the district office) with
their progress and bad rows, and big export jobs (the caller's own only) with their progress and,
once done, the file.

Rights are the pages' (``imports/access.py``): a job out of scope answers 404 and the attempt is
audited. A job whose worker is gone is recovered (marked failed with the reason) when it is read,
as on its page. Read-only: no ``Idempotency-Key``.

No ``from __future__ import annotations`` here: django-ninja reads the endpoint signatures."""

import datetime as dt

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import Router, Schema

from zhiben.api.base import Cursor, Id, Limit, paginate_by_id
from zhiben.core.access import get_from_or_404
from zhiben.core.tabular import XLSX_CONTENT_TYPE
from zhiben.files.views import content_disposition

from .access import visible_exports, visible_jobs
from .exports import recover_export
from .models import ExportJob, ImportJob
from .runner import recover_job

router = Router(tags=["导入导出"])


class ImportJobOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    file: str
    created_by_id: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None
    total_rows: int
    processed_rows: int
    written_rows: int
    percent: int
    created_count: int
    message: str


class RowErrorOut(Schema):
    row: int
    column: str
    message: str


class ImportJobDetailOut(ImportJobOut):
    errors: list[RowErrorOut]


class ImportJobPage(Schema):
    items: list[ImportJobOut]
    next_cursor: str | None


class ExportJobOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    filename: str
    query: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    expires_at: dt.datetime | None
    total_rows: int
    processed_rows: int
    percent: int
    row_count: int
    message: str
    download_url: str | None


def _import_out(job: ImportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": job.kind_label,
        "status": job.status,
        "status_label": job.get_status_display(),
        "file": job.original_name,
        "created_by_id": job.created_by_id,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "written_rows": job.written_rows,
        "percent": job.percent,
        "created_count": job.created_count,
        "message": job.message,
    }


def _error_out(error) -> dict:
    return {
        "row": int(error.get("row") or 0),
        "column": str(error.get("column") or ""),
        "message": str(error.get("message") or ""),
    }


def _export_out(job: ExportJob) -> dict:
    return {
        "id": job.pk,
        "kind": job.kind,
        "kind_label": job.kind_label,
        "status": job.status,
        "status_label": job.get_status_display(),
        "filename": job.filename,
        "query": job.query,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "expires_at": job.expires_at,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "percent": job.percent,
        "row_count": job.row_count,
        "message": job.message,
        "download_url": reverse("api:export_file", args=[job.pk]) if job.is_downloadable else None,
    }


@router.get("/imports", response=ImportJobPage, summary="导入任务（本人的；区安委办为全部，游标分页，新的在前）")
def import_list(request, cursor: Cursor | None = None, limit: Limit = 50):
    items, next_cursor = paginate_by_id(visible_jobs(request.auth), cursor=cursor, limit=limit, descending=True)
    return {"items": [_import_out(job) for job in items], "next_cursor": next_cursor}


@router.get("/imports/{job_id}", response=ImportJobDetailOut, summary="导入任务进度与结果（含有误的行）")
def import_detail(request, job_id: Id):
    job = get_from_or_404(visible_jobs(request.auth), request.auth, pk=job_id)
    if job.is_running and recover_job(job):
        job.refresh_from_db()
    return {**_import_out(job), "errors": [_error_out(e) for e in job.errors or [] if isinstance(e, dict)]}


def _export(request, export_id: int) -> ExportJob:
    job = get_from_or_404(visible_exports(request.auth), request.auth, pk=export_id)
    if job.is_running and recover_export(job):
        job.refresh_from_db()
    return job


@router.get("/exports/{export_id}", response=ExportJobOut, summary="后台导出任务进度（本人的；完成后给出下载地址）")
def export_detail(request, export_id: Id):
    return _export_out(_export(request, export_id))


XLSX_RESPONSE = {
    "responses": {
        "200": {
            "description": "导出的 Excel 文件",
            "content": {XLSX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


@router.get(
    "/exports/{export_id}/file",
    url_name="export_file",
    summary="下载后台导出的文件（本人的；未完成或已过期删除为 404）",
    openapi_extra=XLSX_RESPONSE,
)
def export_file(request, export_id: Id):
    job = _export(request, export_id)
    if not job.is_downloadable:
        raise Http404("导出文件尚未生成或已过期删除")
    try:
        fh = default_storage.open(job.stored_name, "rb")
    except FileNotFoundError:
        raise Http404("导出文件已不存在") from None
    response = FileResponse(fh, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(job.filename, as_attachment=True)
    return response
