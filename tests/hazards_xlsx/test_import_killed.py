"""kill -9 of the process writing a hazard import (issue 9, item 17): the job
is not left 导入中 forever — recovery marks it failed with a reason, undoes the
steps it had committed and deletes its upload; the job page says so."""

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
from zhiben.imports.services import ABANDONED_MESSAGE, import_job_create, recover_abandoned_jobs

from .conftest import good_row

WORKER = "import sys, django; django.setup(); from zhiben.imports.services import run_import_job; run_import_job(int(sys.argv[1]))"


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_writing_is_recovered(users, reference, kit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "zhiben-tests" / "media"  # what the worker process's test settings use
    rows = [good_row(i) for i in range(3_000)]
    before = Hazard.objects.count()
    job = import_job_create(actor=users["officer"], kind="hazards", upload=kit.upload(kit.workbook_bytes(rows)))
    upload_path = settings.MEDIA_ROOT / job.stored_name
    assert upload_path.exists()

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zhiben.config.settings.test",
        "DATABASE_URL": database_url(),
        "ZHIBEN_TEST_TMP": str(tmp_path),
    }
    worker = subprocess.Popen([sys.executable, "-c", WORKER, str(job.pk)], env=env)
    try:
        deadline = time.monotonic() + 300
        while ImportChunk.objects.filter(job=job).count() < 2 and time.monotonic() < deadline:
            assert worker.poll() is None, "the worker ended before it was killed"
            time.sleep(0.05)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=60)
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING and job.worker_pid == worker.pid
    assert Hazard.objects.count() > before  # the committed steps are there …

    assert recover_abandoned_jobs() == 1

    job.refresh_from_db()
    assert (job.status, job.message) == (ImportStatus.FAILED, ABANDONED_MESSAGE)
    assert Hazard.objects.count() == before  # … and undone
    assert not ImportChunk.objects.filter(job=job).exists()
    assert job.stored_name == "" and not upload_path.exists()
    client = Client()
    client.force_login(users["officer"])
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert ABANDONED_MESSAGE in page and 'data-status="failed"' in page
    assert ImportJob.objects.filter(status__in=(ImportStatus.IMPORTING, ImportStatus.VALIDATING)).count() == 0
