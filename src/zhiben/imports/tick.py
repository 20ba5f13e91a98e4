"""The imports app's part of ``zhiben tick``: delete the files of finished big exports once they
expire (``ZHIBEN_EXPORT_KEEP_HOURS`` after the export finished, default 24, at least 1).

Bounded: at most ``PRUNE_BATCHES`` pages of ``ZHIBEN_TICK_BATCH`` jobs per tick (index
``export_job_expires``), the rest on the next tick. The job row stays (the list shows it, saying
the file expired). Safe to run concurrently: forgetting the file name is a conditional update, and
deleting a file already deleted is a no-op. Not audited: the export itself is (``hazard.export``
… with ``"background": true``); this is housekeeping of a copy kept for its creator.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.core.tick import batch_size

from .exports import expire_job, expired_jobs

PRUNE_BATCHES = 10  # per tick

LABELS = {  # the Chinese names `zhiben tick` prints (core/tick.py)
    "export_files_deleted": "已删除的过期导出文件",
    "export_files_expired": "待删除的过期导出文件",
}


def run(now: dt.datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    now = now or timezone.now()
    if dry_run:
        return {"export_files_expired": expired_jobs(now).count()}
    size, deleted = batch_size(), 0
    for _ in range(PRUNE_BATCHES):
        jobs = list(expired_jobs(now).order_by("expires_at", "pk")[:size])
        for job in jobs:
            deleted += expire_job(job)
        if len(jobs) < size:
            break
    return {"export_files_deleted": deleted}
