"""Who may do what with import jobs (批量导入).

* Starting an import of a kind: whoever the kind's importer allows
  (``Importer.can_import``: e.g. hazards — 区安委办, 部门 and 街道 staff;
  units — 区安委办 and 部门 staff); :func:`can_start`. The template of a kind
  may be downloaded by every signed-in user (it holds reference names only).
* Seeing a job (its page, progress, errors): its creator; 区安委办管理员 and
  superusers see every job (:func:`visible_jobs`, :func:`can_view`).
  Anonymous and inactive users see none. A job out of scope is a 404, and
  the attempt is audited.
* Cancelling: nobody cancels a running job from the pages; a job runs to
  its end or fails as a whole (its writes undone).
* Recovering a job whose worker is gone (mark it failed, undo its writes,
  delete its file) is the system's, not a user's: it happens when a viewer
  opens the job's page or the job list, and in ``zhiben imports recover``.
* Big exports (export jobs): an export job, its page, its progress and its
  file are its creator's only — not even the district office sees another
  user's (the file holds the rows of the creator's own scope). Anyone else
  gets a 404, and the attempt is audited (:func:`visible_exports`). Starting
  one is exporting the list, which every active user may do within their
  scope; the worker re-applies that scope when it runs.
"""

from __future__ import annotations

from zhiben.org.access import is_active_user, is_admin

from .models import ExportJob, ImportJob, ImportJobQuerySet
from .registry import get_importer


def visible_jobs(user) -> ImportJobQuerySet:
    """The jobs ``user`` may see: their own; all for the district office."""
    if not is_active_user(user):
        return ImportJob.objects.none()
    if is_admin(user):
        return ImportJob.objects.all()
    return ImportJob.objects.filter(created_by=user)


def can_view(user, job: ImportJob) -> bool:
    return is_active_user(user) and (is_admin(user) or job.created_by_id == user.pk)


def can_start(user, kind: str) -> bool:
    """May ``user`` start an import of ``kind`` (the importer's own rule)."""
    return is_active_user(user) and get_importer(kind).can_import(user)


def visible_exports(user):
    """The export jobs ``user`` may see and download: their own (none for inactive users)."""
    if not is_active_user(user):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(created_by=user)
