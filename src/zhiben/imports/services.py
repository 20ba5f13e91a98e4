"""Starting and running import jobs.

``start_import`` stores the upload (default storage, ``imports/<uuid>.xlsx``),
creates the job and runs it: in a background thread started on commit, or
inline when ``settings.ZHIBEN_IMPORT_SYNC`` is true (tests, commands).

``run_import_job`` is all-or-nothing:

1. 校验 — the importer reads every row and writes nothing; the job's progress
   is updated every few hundred rows (small autocommitted UPDATEs);
2. if any row is bad, the job fails with every bad row listed; nothing is
   imported;
3. otherwise 导入 — the importer reads the file again and creates everything
   in ONE transaction, with no progress writes inside it (on SQLite that
   transaction holds the write lock);
4. the job is marked done or failed and the stored file is deleted.
"""

from __future__ import annotations

import logging
import threading
import uuid

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core import context
from zhiben.core.services import require, service

from .choices import ImportStatus
from .models import ImportJob
from .parsing import MAX_KEPT_ERRORS, ImportFileError, RowError, check_upload
from .registry import Importer, RowsRefused, get_importer

logger = logging.getLogger(__name__)

FAILED_INTERNAL = "导入失败：系统内部错误，未导入任何数据。请稍后重试或联系管理员。"


def is_sync() -> bool:
    return bool(getattr(settings, "ZHIBEN_IMPORT_SYNC", False))


@service("import.start")
def import_job_create(*, actor, kind: str, upload) -> ImportJob:
    """Check the upload, keep it in storage and create a pending job."""
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
    except BaseException:
        default_storage.delete(stored_name)
        raise
    return job


def start_import(*, actor, kind: str, upload) -> ImportJob:
    """Create the job and run it (thread on commit, or inline when sync)."""
    job = import_job_create(actor=actor, kind=kind, upload=upload)
    if is_sync():
        run_import_job(job.pk)
        job.refresh_from_db()
    else:
        ctx = context.current()
        transaction.on_commit(lambda: _start_thread(job.pk, ctx))
    return job


def _start_thread(job_id: int, ctx: context.RequestContext) -> None:
    thread = threading.Thread(target=_thread_main, args=(job_id, ctx), name=f"import-job-{job_id}", daemon=True)
    thread.start()


def _thread_main(job_id: int, ctx: context.RequestContext) -> None:
    try:
        with context.use_context(ctx):  # audit rows carry the upload's request id and IP
            run_import_job(job_id)
    except Exception:  # pragma: no cover - run_import_job records its own failures
        logger.exception("import job %s crashed", job_id)
    finally:
        connections.close_all()


def _save(job_id: int, **fields) -> None:
    fields["updated_at"] = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(**fields)


def _finish(job: ImportJob, status: str, *, message: str, errors: list[RowError] = (), **fields) -> None:
    stored = [e.as_dict() for e in sorted(errors, key=lambda e: e.row)[:MAX_KEPT_ERRORS]]
    _save(job.pk, status=status, message=message, errors=stored, finished_at=timezone.now(), **fields)


def _refusal_message(total: int, errors: list[RowError]) -> str:
    rows = getattr(errors, "rows", None) or {e.row for e in errors}
    count = getattr(errors, "total", len(errors))
    message = f"共 {total} 行数据，其中 {len(rows)} 行有误（{count} 处），未导入任何数据。请按下列清单改正后重新上传。"
    if count > MAX_KEPT_ERRORS:
        message += f"（仅列出前 {MAX_KEPT_ERRORS} 处）"
    return message


def run_import_job(job_id: int) -> ImportJob:
    """Validate, then import all or nothing; never raises (the job records
    the outcome). A job runs once: only a pending job is picked up."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.VALIDATING, updated_at=timezone.now()
    ):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        _run(job)
    except ImportFileError as exc:
        _finish(job, ImportStatus.FAILED, message=exc.message)
    except Exception:
        logger.exception("import job %s failed", job_id)
        _finish(job, ImportStatus.FAILED, message=FAILED_INTERNAL)
    finally:
        _discard_file(job)
    job.refresh_from_db()
    return job


def _run(job: ImportJob) -> None:
    importer_class = get_importer(job.kind)
    actor = job.created_by
    if actor is None or not actor.is_active or not importer_class.can_import(actor):
        _finish(job, ImportStatus.FAILED, message="导入人账号已停用或已无导入权限，未导入任何数据。")
        return
    importer: Importer = importer_class(job=job, actor=actor)

    def progress(done: int, estimate: int) -> None:
        _save(job.pk, processed_rows=done, total_rows=max(done, estimate))

    with default_storage.open(job.stored_name, "rb") as fh:
        total, errors = importer.validate(fh, progress)
        if errors:
            _finish(
                job,
                ImportStatus.FAILED,
                message=_refusal_message(total, errors),
                errors=errors,
                total_rows=total,
                processed_rows=total,
            )
            return
        _save(job.pk, status=ImportStatus.IMPORTING, total_rows=total, processed_rows=total)
        try:
            with transaction.atomic():
                created = importer.write(fh)
        except RowsRefused as exc:
            _finish(job, ImportStatus.FAILED, message=_refusal_message(total, exc.errors), errors=exc.errors)
            return
    _finish(job, ImportStatus.DONE, message=f"成功导入 {created} 条{importer.label}", created_count=created)


def _discard_file(job: ImportJob) -> None:
    if not job.stored_name:
        return
    try:
        default_storage.delete(job.stored_name)
    except Exception:  # pragma: no cover - storage hiccup: keep the name so it can be cleaned later
        logger.exception("could not delete %s", job.stored_name)
        return
    _save(job.pk, stored_name="")
