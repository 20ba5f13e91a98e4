"""Starting imports: the upload is checked and kept, the job created, its task enqueued.

``start_import`` stores the upload (default storage, ``imports/<uuid>.xlsx``), creates the job and
enqueues its task (``imports.tasks.run_import`` on the "long" queue, run by ``zhiben worker``; on the
database queue the task row is written in the job's own transaction), or runs it inline when
``settings.ZHIBEN_IMPORT_SYNC`` is true (tests, commands). Running, undoing and recovering jobs is
in :mod:`zhiben.imports.runner`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import default_storage

from zhiben.audit.services import audit_record
from zhiben.core.background import enqueue_on_commit
from zhiben.core.services import require, service
from zhiben.core.tabular import check_upload

from .models import ImportJob
from .registry import get_importer
from .runner import run_import_job, save_job
from .tasks import run_import


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
