"""Scoped reads of import jobs for the pages (see access.py for who sees what)."""

from __future__ import annotations

from .access import visible_exports, visible_jobs
from .models import ImportJob, ImportJobQuerySet

LIST_LIMIT = 100
RECENT_LIMIT = 10
RECENT_EXPORTS = 20


def job_list(user) -> ImportJobQuerySet:
    """The job list page: the newest jobs ``user`` may see."""
    return visible_jobs(user).select_related("created_by")[:LIST_LIMIT]


def job_for_page(user) -> ImportJobQuerySet:
    """The queryset a job page looks a job up in (with its creator)."""
    return visible_jobs(user).select_related("created_by")


def recent_jobs(user, kind: str) -> ImportJobQuerySet:
    """The upload page's "我最近的导入": the user's own jobs of ``kind``."""
    return ImportJob.objects.filter(kind=kind, created_by=user)[:RECENT_LIMIT]


def my_exports(user):
    """The import list's "我的导出": the user's own newest export jobs."""
    return visible_exports(user)[:RECENT_EXPORTS]
