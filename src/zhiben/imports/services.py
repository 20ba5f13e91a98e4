"""Starting imports: the upload is checked and kept, the job created, its task enqueued.

``start_import`` stores the upload (default storage, ``imports/<uuid>.xlsx``), creates the job and
enqueues its task (``imports.tasks.run_import`` on the "long" queue, run by ``zhiben worker``; on the
database queue the task row is written in the job's own transaction), or runs it inline when
``settings.ZHIBEN_IMPORT_SYNC`` is true (tests, commands). Running, undoing and recovering jobs is
in :mod:`zhiben.imports.runner`.

``export_job_create`` starts a big list export (more rows than ``ZHIBEN_EXPORT_INLINE_MAX``): the
job, its audit row and its task (``imports.tasks.run_export``, "long" queue) in one transaction.
Running and recovering export jobs is in :mod:`zhiben.imports.exports`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.background import enqueue_on_commit
from zhiben.core.errors import ValidationFailed
from zhiben.core.services import require, service
from zhiben.core.tabular import check_upload
from zhiben.org.access import is_active_user

from .models import MAX_EXPORT_QUERY, ExportJob, ImportJob
from .registry import get_exporter, get_importer
from .runner import run_import_job, save_job
from .tasks import run_export, run_import


def is_sync() -> bool:
    return bool(getattr(settings, "ZHIBEN_IMPORT_SYNC", False))


@service("import.start")
def import_job_create(*, actor, kind: str, upload) -> ImportJob:
    """Check the upload, keep it in storage and create a pending job; unless imports run inline
    (``ZHIBEN_IMPORT_SYNC``), enqueue its task in the same transaction (database queue) or on commit."""
    importer = get_importer(kind)
    require(importer.can_import(actor), f"您没有导入{importer.label}的权限")
    check_upload(upload)
    original_name = (getattr(upload, "name", "") or "upload.xlsx").rsplit("/", 1)[-1][:255]
    stored_name = default_storage.save(f"imports/{uuid.uuid4().hex}.xlsx", upload)
    try:
        job = ImportJob.objects.create(
            kind=kind, created_by=actor, original_name=original_name, stored_name=stored_name
        )
        audit_record(action="import.start", actor=actor, obj=job, after={"kind": kind, "file": original_name})
        if not is_sync():
            enqueue_on_commit(run_import, job.pk, on_enqueued=lambda result: save_job(job.pk, task_id=result.id))
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return job


def start_import(*, actor, kind: str, upload) -> ImportJob:
    """Create the job and enqueue its task (or run it inline when sync)."""
    job = import_job_create(actor=actor, kind=kind, upload=upload)
    if is_sync():
        run_import_job(job.pk)
        job.refresh_from_db()
    return job


def _keep_task_id(job_id: int):
    def keep(result) -> None:
        ExportJob.objects.filter(pk=job_id).update(task_id=result.id)

    return keep


@service("export.start")
def export_job_create(*, actor, kind: str, query: str, total_rows: int) -> ExportJob:
    """Start a big export of a list: ``query`` is the list's query string (its filters, as the
    list page got them; at most 2,000 characters), ``total_rows`` the rows the list counted. The
    job is created pending and its task enqueued in the same transaction (database queue) or on
    commit; the export is audited with the list's own export action (e.g. ``hazard.export``),
    ``"background": true`` and the query. The worker applies the filters and the creator's scope
    again when it runs (zhiben.imports.exports)."""
    exporter = get_exporter(kind)
    require(is_active_user(actor), "您的账号已停用")
    if len(query) > MAX_EXPORT_QUERY:
        raise ValidationFailed(
            f"筛选条件过长（超过 {MAX_EXPORT_QUERY} 个字符），请减少筛选条件后再导出",
            code="query_too_long",
            details={"query": f"不超过 {MAX_EXPORT_QUERY} 个字符"},
        )
    job = ExportJob.objects.create(
        kind=kind,
        created_by=actor,
        query=query,
        total_rows=max(0, total_rows),
        stored_name=f"exports/{uuid.uuid4().hex}.xlsx",
        filename=f"{exporter.filename}_{timezone.localdate():%Y%m%d}.xlsx",
    )
    audit_record(
        action=exporter.action,
        actor=actor,
        object_type=exporter.object_type,
        after={"rows": total_rows, "query": query, "background": True, "job": job.pk},
    )
    enqueue_on_commit(run_export, job.pk, on_enqueued=_keep_task_id(job.pk))
    return job
