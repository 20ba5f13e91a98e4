"""kill -9 of the task worker writing a hazard import (issue 9, item 17; issue 11): the job is
not left 导入中 forever — the next worker to start marks it failed with a reason within a minute,
undoes the steps it had committed, deletes its upload and records the lost task; the job page says
so. Real processes: `zhiben worker` started, killed and started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.test import Client

from zhiben.hazards.models import Hazard
from zhiben.imports.choices import ImportStatus
from zhiben.imports.models import ImportChunk, ImportJob
from zhiben.imports.runner import ABANDONED_MESSAGE
from zhiben.imports.services import start_import

from .conftest import good_row


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "zhiben", "worker", "--interval", "0.2"], env=env)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_is_recovered_by_the_next_worker(users, reference, kit, settings, tmp_path):
    from django_tasks_db.models import DBTaskResult

    settings.MEDIA_ROOT = tmp_path / "zhiben-tests" / "media"  # what the worker process's test settings use
    settings.ZHIBEN_IMPORT_SYNC = False
    rows = [good_row(i) for i in range(3_000)]
    before = Hazard.objects.count()
    job = start_import(actor=users["officer"], kind="hazards", upload=kit.upload(kit.workbook_bytes(rows)))
    upload_path = settings.MEDIA_ROOT / job.stored_name
    assert upload_path.exists() and job.status == ImportStatus.PENDING

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test",
        "DATABASE_URL": database_url(),
        "ZHIBEN_TEST_TMP": str(tmp_path),
    }
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 300
        while ImportChunk.objects.filter(job=job).count() < 2 and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker ended before it was killed"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()  # a no-op once killed above; never leave a worker behind
        worker.wait(timeout=60)
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING and job.worker_pid == worker.pid
    assert Hazard.objects.count() > before  # the committed steps are there …
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert task.status == "RUNNING"

    restarted = start_worker(env)
    try:
        deadline = time.monotonic() + 60  # "within a minute of a worker starting again"
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status == ImportStatus.FAILED and not job.stored_name:
                break
            time.sleep(0.2)
        task.refresh_from_db()
    finally:
        restarted.send_signal(signal.SIGTERM)
        try:
            code = restarted.wait(timeout=90)
        except subprocess.TimeoutExpired:  # never leave a worker behind to take later tests' jobs
            restarted.kill()
            restarted.wait()
            raise
    assert code == 0  # a graceful stop

    assert (job.status, job.message) == (ImportStatus.FAILED, ABANDONED_MESSAGE)
    assert Hazard.objects.count() == before  # … and undone
    assert not ImportChunk.objects.filter(job=job).exists()
    assert job.stored_name == "" and not upload_path.exists()
    assert list((settings.MEDIA_ROOT / "imports").iterdir()) == []  # no orphaned upload
    assert task.status == "FAILED" and str(worker.pid) in task.traceback  # the lost task, with its reason
    client = Client()
    client.force_login(users["officer"])
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert ABANDONED_MESSAGE in page and 'data-status="failed"' in page
    assert ImportJob.objects.filter(status__in=(ImportStatus.IMPORTING, ImportStatus.VALIDATING)).count() == 0
