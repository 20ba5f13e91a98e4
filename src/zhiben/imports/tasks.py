"""Background work of imports and big exports (core/background.py describes the convention)."""

from __future__ import annotations

from zhiben.core.background import background_task

from . import exports, runner


@background_task(queue_name="long")
def run_import(job_id: int) -> str:
    """Run one import job (a pending job only: a second run of the same task does nothing)."""
    return runner.run_import_job(job_id).status


@background_task(queue_name="long")
def run_export(job_id: int) -> str:
    """Write one big export (a pending job only: a second run of the same task does nothing)."""
    return exports.run_export_job(job_id).status


def recover() -> int:
    """Imports cut off by a worker that died: failed with the reason, writes undone, files
    deleted; exports likewise: failed with the reason, partial file deleted."""
    return runner.recover_abandoned_jobs() + exports.recover_abandoned_exports()
