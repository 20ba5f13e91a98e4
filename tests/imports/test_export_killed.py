"""kill -9 of the task worker writing a big export (issue 11): the job is not left 导出中 forever —
the next recovery sweep (a worker starting, every 30 s) marks it failed with the reason and deletes
the partial file; nothing half-written is ever visible under the job's file name. Real processes:
a `zhiben worker` started and killed in the middle of writing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.test import Client

from zhiben.imports import exports
from zhiben.imports.choices import ExportStatus
from zhiben.imports.services import export_job_create
from zhiben.imports.tasks import recover
from zhiben.registry.models import Unit
from zhiben.registry.reference import load_files

ROWS = 60_000


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_an_export_leaves_a_failed_job_and_no_file(users, orgs, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    settings.MEDIA_ROOT = tmp_path / "zhiben-tests" / "media"  # what the worker process's test settings use
    load_files()
    Unit.objects.bulk_create(
        (Unit(name=f"导出单位{i:06d}", street=orgs["hk-bwt"], owner=orgs["hk-swj"]) for i in range(ROWS)),
        batch_size=5000,
    )
    job = export_job_create(actor=users["officer"], kind="units", query="", total_rows=ROWS)
    final = settings.MEDIA_ROOT / job.stored_name
    partial = settings.MEDIA_ROOT / exports.part_name(job.stored_name)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test",
        "DATABASE_URL": database_url(),
        "ZHIBEN_TEST_TMP": str(tmp_path),
    }
    worker = subprocess.Popen([sys.executable, "-m", "zhiben", "worker", "--interval", "0.2"], env=env)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert worker.poll() is None, "the worker ended before it was killed"
            job.refresh_from_db()
            if job.processed_rows >= 2_000:
                break
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()  # a no-op once killed above; never leave a worker behind
        worker.wait(timeout=60)
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and 0 < job.processed_rows < ROWS, "killed mid-export"
    assert job.worker.split(":")[1] == str(worker.pid)
    assert partial.exists() and not final.exists()  # only the .part file, never a half file under the name
    assert DBTaskResult.objects.get(pk=job.task_id).status == "RUNNING"

    assert recover() >= 1

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and str(worker.pid) in job.message and "导出进程意外中止" in job.message
    assert not partial.exists() and not final.exists() and job.stored_name == ""
    assert list((settings.MEDIA_ROOT / "exports").iterdir()) == []
    client = Client()
    client.force_login(users["officer"])
    page = client.get(f"/imports/exports/{job.pk}/").content.decode()
    assert "导出进程意外中止" in page and 'data-status="failed"' in page
    assert client.get(f"/imports/exports/{job.pk}/download/").status_code == 404
