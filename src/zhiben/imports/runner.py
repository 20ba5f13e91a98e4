"""Running, undoing and recovering import jobs (started by :mod:`zhiben.imports.services`; run by
the task ``imports.tasks.run_import`` in a ``zhiben worker``, or inline when imports are sync).

``run_import_job`` is all-or-nothing, without holding other users up:

1. 校验 — the importer reads every row and writes nothing; the job's progress
   is updated every few hundred rows (small autocommitted UPDATEs);
2. if any row is bad, the job fails with every bad row listed; nothing is
   imported;
3. otherwise 导入 — the importer writes in steps (``Importer.write_steps``),
   each in its own short transaction (a few hundred rows), with a short pause
   between steps on SQLite so that waiting writers get the lock. Each step
   records the primary keys it created (:class:`ImportChunk`) in the same
   transaction;
4. the last step marks the job done and forgets those keys in one
   transaction. If a step is refused or fails, every earlier step is undone
   (``undo_job_writes``, chunk by chunk, newest first) and then the job is
   marked failed: a failed job has left nothing behind.

A running job carries the process that runs it (host, pid, a per-process
token) and a heartbeat, beaten every :data:`HEARTBEAT_EVERY` while it runs. A
job whose worker is gone (no heartbeat for :data:`STALE_AFTER`, or its pid is
not alive on this host) is marked failed by :func:`recover_abandoned_jobs`
(run when a worker starts and every half minute while it runs, when import
pages are shown, and by ``zhiben imports recover``): what it wrote is undone
and its file deleted. A pending job waits in the queue as long as its task
does; it is failed only when its task is gone or ended without taking it. See
docs/architecture.md, "Imports" and "Background work".
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Generator

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.background import pid_alive
from zhiben.core.services import require, service
from zhiben.core.tabular import ImportFileError, RowError
from zhiben.core.tabular.cells import MAX_KEPT_ERRORS

from .choices import RUNNING_STATUSES, ImportStatus
from .models import ImportChunk, ImportJob
from .registry import Importer, RowsRefused, Written, get_importer

logger = logging.getLogger(__name__)

FAILED_INTERNAL = "导入失败：系统内部错误，未导入任何数据。请稍后重试或联系管理员。"
ABANDONED_MESSAGE = "导入进程意外中止，未写入任何数据，请重新上传"

HEARTBEAT_EVERY = 10.0  # seconds
STALE_AFTER = dt.timedelta(minutes=2)
UNDO_BATCH = 500  # primary keys deleted per query when undoing

# This process: a job records it when it is created and when a worker takes it.
WORKER_HOST = socket.gethostname()[:255]
WORKER_TOKEN = uuid.uuid4().hex  # differs between two processes that got the same pid


class JobTakenOver(Exception):
    """The job is no longer this worker's (recovery marked it failed)."""


def step_pause() -> float:
    """Seconds to wait between two write steps: on SQLite, long enough for
    every writer waiting in its busy handler (which sleeps at most 100 ms at a
    time) to try again while the lock is free."""
    default = 0.12 if connection.vendor == "sqlite" else 0.0
    return float(getattr(settings, "ZHIBEN_IMPORT_STEP_PAUSE", default))


def _pause() -> None:
    pause = step_pause()
    if pause and not connection.in_atomic_block:
        time.sleep(pause)


def _worker_fields() -> dict:
    return {
        "worker_host": WORKER_HOST,
        "worker_pid": os.getpid(),
        "worker_token": WORKER_TOKEN,
        "heartbeat_at": timezone.now(),
    }


def save_job(job_id: int, **fields) -> None:
    fields["updated_at"] = timezone.now()
    ImportJob.objects.filter(pk=job_id).update(**fields)


def _finish(job: ImportJob, status: str, *, message: str, errors: list[RowError] = (), **fields) -> None:
    stored = [e.as_dict() for e in sorted(errors, key=lambda e: e.row)[:MAX_KEPT_ERRORS]]
    save_job(job.pk, status=status, message=message, errors=stored, finished_at=timezone.now(), **fields)


def _refusal_message(total: int, errors: list[RowError]) -> str:
    rows = getattr(errors, "rows", None) or {e.row for e in errors}
    count = getattr(errors, "total", len(errors))
    message = f"共 {total} 行数据，其中 {len(rows)} 行有误（{count} 处），未导入任何数据。请按下列清单改正后重新上传。"
    if count > MAX_KEPT_ERRORS:
        message += f"（仅列出前 {MAX_KEPT_ERRORS} 处）"
    return message


# --- Heartbeat ----------------------------------------------------------------------------------


class _Heartbeat:
    """Beats the job's heartbeat every HEARTBEAT_EVERY seconds from a thread
    of its own while the worker runs (a long step — opening a big workbook, a
    bulk write — would otherwise look like a dead worker). Not started inside
    an atomic block (a test's transaction: its connection could not see the
    job)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        if not connection.in_atomic_block:
            self.thread = threading.Thread(target=self._beat, name=f"import-heartbeat-{self.job_id}", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()

    def _beat(self) -> None:
        try:
            while not self.stop.wait(HEARTBEAT_EVERY):
                try:
                    ImportJob.objects.filter(
                        pk=self.job_id, worker_token=WORKER_TOKEN, status__in=RUNNING_STATUSES
                    ).update(heartbeat_at=timezone.now())
                except Exception:  # a busy database: the next beat will do
                    logger.warning("import job %s: heartbeat not written", self.job_id, exc_info=True)
        finally:
            connections.close_all()


# --- Running ------------------------------------------------------------------------------------


def run_import_job(job_id: int) -> ImportJob:
    """Validate, then import all or nothing; never raises (the job records
    the outcome). A job runs once: only a pending job is picked up."""
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.VALIDATING, updated_at=timezone.now(), **_worker_fields()
    ):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        with _Heartbeat(job_id):
            _run(job)
    except JobTakenOver:
        logger.warning("import job %s was marked abandoned while running; its writes are undone", job_id)
        _undo_quietly(job)
    except ImportFileError as exc:
        _finish(job, ImportStatus.FAILED, message=exc.message)
    except Exception:
        logger.exception("import job %s failed", job_id)
        _fail_and_undo(job, message=FAILED_INTERNAL)
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
        save_job(job.pk, processed_rows=done, total_rows=max(done, estimate), heartbeat_at=timezone.now())

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
        if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.VALIDATING, worker_token=WORKER_TOKEN).update(
            status=ImportStatus.IMPORTING,
            total_rows=total,
            processed_rows=total,
            heartbeat_at=timezone.now(),
            updated_at=timezone.now(),
        ):
            raise JobTakenOver
        try:
            _write_in_steps(job, importer.write_steps(fh), hold_seconds=importer.hold_seconds)
        except RowsRefused as exc:
            _fail_and_undo(job, message=_refusal_message(total, exc.errors), errors=exc.errors)


def _claim_step(job: ImportJob) -> None:
    """Inside a step's transaction: beat the heartbeat, and make sure the job
    is still this worker's (recovery may have marked it failed)."""
    now = timezone.now()
    if not ImportJob.objects.filter(pk=job.pk, status=ImportStatus.IMPORTING, worker_token=WORKER_TOKEN).update(
        heartbeat_at=now, updated_at=now
    ):
        raise JobTakenOver


def _write_in_steps(job: ImportJob, steps: Generator[Written, None, int], *, hold_seconds: float = 0.0) -> None:
    held = 0.0  # seconds written since the last pause
    try:
        while True:
            began = time.monotonic()
            with transaction.atomic():
                _claim_step(job)
                try:
                    written = next(steps)
                except StopIteration as stop:
                    created = stop.value or 0
                    # The job's last transaction: done, and nothing left to undo.
                    ImportChunk.objects.filter(job=job).delete()
                    label = get_importer(job.kind).label
                    _finish(job, ImportStatus.DONE, message=f"成功导入 {created} 条{label}", created_count=created)
                    return
                if written.ids:
                    ImportChunk.objects.create(job=job, model=written.model._meta.label_lower, ids=list(written.ids))
                    ImportJob.objects.filter(pk=job.pk).update(written_rows=F("written_rows") + len(written.ids))
            elapsed = time.monotonic() - began
            logger.debug("import job %s: step of %s rows in %.2f s", job.pk, len(written.ids), elapsed)
            held += elapsed
            if held >= hold_seconds:
                _pause()
                held = 0.0
    finally:
        steps.close()


def _fail_and_undo(job: ImportJob, *, message: str, errors: list[RowError] = ()) -> None:
    """Undo the committed steps, then mark the job failed: a failed job has
    nothing left visible. (Should this worker die while undoing, the job is
    still running and recovery finishes the undo.)"""
    _undo_quietly(job)
    _finish(job, ImportStatus.FAILED, message=message, errors=errors)


def _undo_quietly(job: ImportJob) -> None:
    try:
        undo_job_writes(job)
    except Exception:  # left for recover_abandoned_jobs to finish
        logger.exception("import job %s: undoing its writes failed", job.pk)


# --- Undoing ------------------------------------------------------------------------------------


@service("import.undo")
def import_chunk_undo(*, chunk_id: int, actor=None) -> int:
    """Delete what one step of a failed job wrote (and the chunk); one short
    transaction with one audit row. Returns how many records were deleted."""
    chunk = ImportChunk.objects.select_for_update(of=("self",)).select_related("job").filter(pk=chunk_id).first()
    if chunk is None:  # undone meanwhile by another process
        return 0
    job = chunk.job
    require(job.status != ImportStatus.DONE, "已完成的导入任务不能撤回", code="invalid_state")
    model = apps.get_model(chunk.model)
    deleted = 0
    ids = list(chunk.ids)
    for start in range(0, len(ids), UNDO_BATCH):
        batch = ids[start : start + UNDO_BATCH]
        deleted += model._base_manager.filter(pk__in=batch).count()
        model._base_manager.filter(pk__in=batch).delete()
    chunk.delete()
    audit_record(
        action="import.undo",
        actor=actor,
        obj=job,
        after={
            "model": chunk.model,
            "deleted": deleted,
            "first_id": min(ids, default=None),
            "last_id": max(ids, default=None),
        },
    )
    return deleted


def undo_job_writes(job: ImportJob) -> int:
    """Undo every step a failed job committed, newest first, one short
    transaction per step. Safe to repeat and to run from two processes."""
    deleted = 0
    for chunk_id in ImportChunk.objects.filter(job=job).order_by("-pk").values_list("pk", flat=True):
        deleted += import_chunk_undo(chunk_id=chunk_id)
        _pause()
    return deleted


# --- Recovery -----------------------------------------------------------------------------------


def is_abandoned(job: ImportJob, now: dt.datetime | None = None) -> bool:
    """Whether a job will never finish by itself: pending, but its task is gone or ended without
    taking it; running, but its worker is gone (no heartbeat for STALE_AFTER, or it ran on this host
    in a process that is no longer there)."""
    if job.status not in RUNNING_STATUSES:
        return False
    now = now or timezone.now()
    if job.status == ImportStatus.PENDING:
        return _pending_lost(job, now)
    last_sign = job.heartbeat_at or job.updated_at
    if last_sign is None or last_sign < now - STALE_AFTER:
        return True
    if job.worker_host == WORKER_HOST and job.worker_pid:
        if job.worker_pid == os.getpid():
            return bool(job.worker_token) and job.worker_token != WORKER_TOKEN
        return not pid_alive(job.worker_pid)
    return False


def _pending_lost(job: ImportJob, now: dt.datetime) -> bool:
    """A pending job waits as long as its task waits in the queue (a worker busy with another
    import); it is lost when its task ended (failed: its worker died) or no longer exists, or when
    no task was recorded for it within STALE_AFTER (the enqueue after commit failed)."""
    if not job.task_id:
        return job.created_at < now - STALE_AFTER
    from django_tasks import TaskResultStatus, task_backends
    from django_tasks.exceptions import TaskResultDoesNotExist

    try:
        result = task_backends["default"].get_result(job.task_id)
    except TaskResultDoesNotExist:
        return True
    return result.status in (TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL)


@service("import.abandon")
def import_job_abandon(*, job: ImportJob, actor=None) -> bool:
    """Mark a job whose worker is gone failed, unless its worker beat in the
    meantime. Its writes are undone and its file deleted by the caller."""
    now = timezone.now()
    marked = ImportJob.objects.filter(
        pk=job.pk, status=job.status, worker_token=job.worker_token, heartbeat_at=job.heartbeat_at
    ).update(status=ImportStatus.FAILED, message=ABANDONED_MESSAGE, errors=[], finished_at=now, updated_at=now)
    if marked:
        audit_record(
            action="import.abandon",
            actor=actor,
            obj=job,
            before={"status": job.status},
            after={
                "status": ImportStatus.FAILED,
                "worker": f"{job.worker_host}:{job.worker_pid}",
                "heartbeat_at": job.heartbeat_at.isoformat() if job.heartbeat_at else None,
            },
        )
    return bool(marked)


def recover_job(job: ImportJob) -> bool:
    """If ``job``'s worker is gone: mark it failed, undo its writes, delete its
    file. Returns whether it was recovered now."""
    if not is_abandoned(job) or not import_job_abandon(job=job):
        return False
    job.refresh_from_db()
    _undo_quietly(job)
    _discard_file(job)
    return True


_last_recovery = 0.0
RECOVERY_EVERY = 30.0  # seconds between two sweeps from pages, per process


def recover_abandoned_jobs(*, throttle: bool = False) -> int:
    """Fail the jobs whose worker is gone, and finish what a crash left: the
    writes of failed jobs not yet undone, the files of finished jobs.
    Returns how many jobs were found abandoned. Never raises."""
    global _last_recovery
    if throttle and time.monotonic() - _last_recovery < RECOVERY_EVERY:
        return 0
    _last_recovery = time.monotonic()
    recovered = 0
    try:
        for job in ImportJob.objects.filter(status__in=RUNNING_STATUSES):
            recovered += recover_job(job)
        leftovers = ImportJob.objects.filter(status=ImportStatus.FAILED, chunks__isnull=False).distinct()
        for job in leftovers:
            _undo_quietly(job)
        for job in ImportJob.objects.exclude(status__in=RUNNING_STATUSES).exclude(stored_name=""):
            _discard_file(job)
    except Exception:
        logger.exception("recovering import jobs failed")
    return recovered


def _discard_file(job: ImportJob) -> None:
    if not job.stored_name:
        return
    try:
        default_storage.delete(job.stored_name)
    except Exception:  # pragma: no cover - storage hiccup: keep the name so it can be cleaned later
        logger.exception("could not delete %s", job.stored_name)
        return
    save_job(job.pk, stored_name="")
