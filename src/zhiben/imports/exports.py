"""Running, recovering and expiring big list exports (started by
:func:`zhiben.imports.services.export_job_create`; run by the task ``imports.tasks.run_export`` in a
``zhiben worker``).

:func:`run_export_job` takes a pending job (a conditional update: a second run of the same task
does nothing), records its worker (``core.background.worker_id()``, ``host:pid:token``), checks its
creator is still active, builds the list again from the stored query string with the creator's
scope *as it is now* (``Exporter.select``), and writes the file under ``<stored_name>.part``,
saving the rows written every 1,000 rows. Only the finished file is renamed to ``stored_name``
(``exports/<uuid>.xlsx``) and the job marked done with ``expires_at``; a crash leaves at most the
``.part`` file, which nothing links to and recovery deletes.

A job is abandoned (:func:`is_abandoned`) when it is pending and its task ended without taking it
or is gone, or running and its worker is gone (``core.background.worker_gone``: its process on
this host has ended) or has not saved progress for :data:`STALE_AFTER` (a worker on another
host). :func:`recover_abandoned_exports` (a worker's ``recover()`` at start and every 30 s, and
the job page) marks it failed with the reason and deletes its partial file. A worker whose job
was taken from it notices at its next progress save and stops.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core import background
from zhiben.core.services import service

from .choices import EXPORT_RUNNING_STATUSES, ExportStatus
from .models import ExportJob
from .registry import ExportFilterError, get_exporter
from .runner import _pending_lost

logger = logging.getLogger(__name__)

DEFAULT_INLINE_MAX = 20_000
DEFAULT_KEEP_HOURS = 24
STALE_AFTER = dt.timedelta(minutes=15)  # no progress saved for this long: a worker on another host is gone

FAILED_INTERNAL = "导出失败：系统内部错误，未生成文件。请稍后重试或联系管理员。"
ABANDONED_MESSAGE = "导出进程意外中止（执行进程 {worker} 已不在运行），未生成文件，请重新导出"
LOST_MESSAGE = "导出任务未能执行（后台任务已结束或丢失），未生成文件，请重新导出"
INACTIVE_MESSAGE = "导出人账号已停用，未生成文件。"
EXPIRED_MESSAGE = "文件已过期删除（保留 {hours} 小时），如需请重新导出"


def _int_setting(name: str, default: int) -> int:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default


def inline_max() -> int:
    """Rows up to which a list export is written in the request (``ZHIBEN_EXPORT_INLINE_MAX``)."""
    return max(0, _int_setting("ZHIBEN_EXPORT_INLINE_MAX", DEFAULT_INLINE_MAX))


def keep_for() -> dt.timedelta:
    """How long a finished export's file is kept (``ZHIBEN_EXPORT_KEEP_HOURS``, at least 1)."""
    return dt.timedelta(hours=max(1, _int_setting("ZHIBEN_EXPORT_KEEP_HOURS", DEFAULT_KEEP_HOURS)))


def part_name(stored_name: str) -> str:
    return f"{stored_name}.part"


class ExportTakenOver(Exception):
    """The job is no longer this worker's (recovery marked it failed)."""


def _save(job: ExportJob, **fields) -> int:
    """Update the job if it is still running in this worker."""
    fields["updated_at"] = timezone.now()
    return ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING, worker=job.worker).update(**fields)


def _fail(job: ExportJob, message: str) -> None:
    _save(job, status=ExportStatus.FAILED, message=message, finished_at=timezone.now())


# --- Running ------------------------------------------------------------------------------------


def run_export_job(job_id: int) -> ExportJob:
    """Write a pending job's file; never raises (the job records the outcome)."""
    wid = background.worker_id()
    if not ExportJob.objects.filter(pk=job_id, status=ExportStatus.PENDING).update(
        status=ExportStatus.RUNNING, worker=wid, updated_at=timezone.now()
    ):
        return ExportJob.objects.get(pk=job_id)
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        _run(job)
    except ExportTakenOver:
        logger.warning("export job %s was marked abandoned while running; its file is discarded", job_id)
    except Exception:
        logger.exception("export job %s failed", job_id)
        _fail(job, FAILED_INTERNAL)
    finally:
        job.refresh_from_db()
        if job.status != ExportStatus.DONE:
            discard_files(job)
    return job


def _run(job: ExportJob) -> None:
    user = job.created_by
    if user is None or not user.is_active:
        _fail(job, INACTIVE_MESSAGE)
        return
    exporter = get_exporter(job.kind)
    try:
        qs = exporter.select(user, QueryDict(job.query))
    except ExportFilterError as exc:
        _fail(job, f"筛选条件无效：{exc.message}，未生成文件。")
        return
    total = qs.count()
    if not _save(job, total_rows=total, processed_rows=0):
        raise ExportTakenOver

    def progress(done: int) -> None:
        if not _save(job, processed_rows=done, total_rows=max(total, done)):
            raise ExportTakenOver

    count = _write(job, lambda fh: exporter.write(qs, fh, user=user, progress=progress))
    now = timezone.now()
    if not _save(
        job,
        status=ExportStatus.DONE,
        row_count=count,
        processed_rows=count,
        total_rows=max(total, count),
        finished_at=now,
        expires_at=now + keep_for(),
        message=f"已导出 {count} 条{exporter.label}记录",
    ):
        raise ExportTakenOver


def _write(job: ExportJob, write) -> int:
    """Write the file under ``<stored_name>.part`` and rename it to ``stored_name`` once whole
    (a storage without local paths: a local temporary file, saved whole at the end)."""
    try:
        final = default_storage.path(job.stored_name)
    except NotImplementedError:
        with tempfile.TemporaryFile(prefix="zhiben-export-", suffix=".xlsx") as fh:
            count = write(fh)
            fh.seek(0)
            default_storage.save(job.stored_name, File(fh))
        return count
    partial = default_storage.path(part_name(job.stored_name))
    os.makedirs(os.path.dirname(partial), exist_ok=True)
    with open(partial, "wb") as fh:
        count = write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(partial, final)
    return count


def discard_files(job: ExportJob) -> None:
    """Delete what a job that did not finish left in storage (its partial or whole file)."""
    if not job.stored_name:
        return
    for name in (part_name(job.stored_name), job.stored_name):
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
        except Exception:  # pragma: no cover - storage hiccup: recovery tries again
            logger.exception("could not delete %s", name)


# --- Recovery -----------------------------------------------------------------------------------


def is_abandoned(job: ExportJob, now: dt.datetime | None = None) -> bool:
    """Whether a job will never finish by itself (module docstring)."""
    now = now or timezone.now()
    if job.status == ExportStatus.PENDING:
        return _pending_lost(job, now)
    if job.status != ExportStatus.RUNNING:
        return False
    return background.worker_gone(job.worker) or job.updated_at < now - STALE_AFTER


@service("export.abandon")
def export_job_abandon(*, job: ExportJob, actor=None) -> bool:
    """Mark a job whose worker is gone (or whose task was lost) failed with the reason, unless it
    moved on meanwhile. The caller deletes its partial file."""
    now = timezone.now()
    pending = job.status == ExportStatus.PENDING
    message = LOST_MESSAGE if pending else ABANDONED_MESSAGE.format(worker=job.worker or "?")
    marked = ExportJob.objects.filter(
        pk=job.pk, status=job.status, worker=job.worker, updated_at=job.updated_at
    ).update(status=ExportStatus.FAILED, message=message, finished_at=now, updated_at=now)
    if marked:
        audit_record(
            action="export.abandon",
            actor=actor,
            obj=job,
            before={"status": job.status},
            after={"status": ExportStatus.FAILED, "worker": job.worker, "message": message},
        )
    return bool(marked)


def recover_export(job: ExportJob) -> bool:
    """If ``job`` will never finish: fail it and delete its partial file. Whether it did now."""
    if not is_abandoned(job) or not export_job_abandon(job=job):
        return False
    job.refresh_from_db()
    discard_files(job)
    return True


def recover_abandoned_exports() -> int:
    """Fail every export job whose worker is gone; delete the files failed jobs left (a crash
    between failing and deleting). Returns how many jobs were failed now. Never raises."""
    recovered = 0
    try:
        for job in ExportJob.objects.filter(status__in=EXPORT_RUNNING_STATUSES):
            recovered += recover_export(job)
        for job in ExportJob.objects.filter(status=ExportStatus.FAILED).exclude(stored_name=""):
            discard_files(job)
            ExportJob.objects.filter(pk=job.pk, status=ExportStatus.FAILED).update(stored_name="")
    except Exception:
        logger.exception("recovering export jobs failed")
    return recovered


# --- Expiry -------------------------------------------------------------------------------------


def expired_jobs(now: dt.datetime):
    """Finished jobs whose file is due for deletion."""
    return ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lt=now).exclude(stored_name="")


def expire_job(job: ExportJob) -> bool:
    """Delete a finished job's file and forget its name (the job stays, saying why)."""
    try:
        default_storage.delete(job.stored_name)
    except Exception:  # pragma: no cover - storage hiccup: the next tick tries again
        logger.exception("could not delete %s", job.stored_name)
        return False
    hours = int(keep_for().total_seconds() // 3600)
    return bool(
        ExportJob.objects.filter(pk=job.pk, stored_name=job.stored_name).update(
            stored_name="", message=EXPIRED_MESSAGE.format(hours=hours), updated_at=timezone.now()
        )
    )
