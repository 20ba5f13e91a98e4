"""Writing in short steps, undoing them, and recovering jobs whose worker is
gone (kill -9, a restart): the job is marked failed with a reason, what it
wrote is undone, its upload is deleted, and its page says what happened."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.imports import runner, services
from zhiben.imports.choices import ImportStatus
from zhiben.imports.models import ImportChunk, ImportJob
from zhiben.imports.runner import ABANDONED_MESSAGE, recover_abandoned_jobs
from zhiben.imports.services import import_job_create, start_import
from zhiben.registry.models import Tag

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_good_file_is_written_in_steps_and_forgets_them_when_done(step_importer, users, kit):
    tags_before = Tag.objects.count()
    job = start_import(
        actor=users["officer"], kind="demo_steps", upload=kit.upload(kit.sheet_bytes(list("甲乙丙丁戊")))
    )

    assert (job.status, job.created_count, job.written_rows) == (ImportStatus.DONE, 5, 5)  # progress of the writing
    assert step_importer.steps_seen and len(step_importer.steps_seen) == 2  # 2 + 2 (+ the last 1)
    assert Tag.objects.count() == tags_before + 5
    assert not ImportChunk.objects.filter(job=job).exists()
    assert stored_files() == []


@pytest.mark.parametrize(("last", "message"), [("拒绝", "未导入任何数据"), ("崩溃", runner.FAILED_INTERNAL)])
def test_a_failure_in_a_late_step_undoes_every_earlier_step(step_importer, users, kit, last, message):
    tags_before = set(Tag.objects.values_list("pk", flat=True))
    rows = [*"甲乙丙丁戊己", last]
    job = start_import(actor=users["officer"], kind="demo_steps", upload=kit.upload(kit.sheet_bytes(rows)))

    assert job.status == ImportStatus.FAILED and message in job.message
    assert len(step_importer.steps_seen) == 3  # three steps were committed before the failure …
    assert set(Tag.objects.values_list("pk", flat=True)) == tags_before  # … and undone
    assert not ImportChunk.objects.filter(job=job).exists()
    undone = AuditEvent.objects.filter(action="import.undo", object_id=str(job.pk))
    assert sorted(e.after["deleted"] for e in undone) == [2, 2, 2]
    assert stored_files() == []


def running_job(user, kit, **worker) -> ImportJob:
    """A job as a worker leaves it when it is killed in the middle of writing:
    importing, its upload stored, two steps committed."""
    job = import_job_create(actor=user, kind="demo_steps", upload=kit.upload(kit.sheet_bytes(list("甲乙丙"))))
    tags = [Tag.objects.create(code=f"left-{job.pk}-{i}", name=f"残留{i}") for i in range(3)]
    ImportChunk.objects.create(job=job, model="registry.tag", ids=[tags[0].pk, tags[1].pk])
    ImportChunk.objects.create(job=job, model="registry.tag", ids=[tags[2].pk])
    fields = {
        "status": ImportStatus.IMPORTING,
        "worker_host": runner.WORKER_HOST,
        "worker_pid": os.getpid(),
        "worker_token": runner.WORKER_TOKEN,
        "heartbeat_at": timezone.now(),
        **worker,
    }
    ImportJob.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    job.left_tags = [t.pk for t in tags]
    return job


def assert_recovered(job: ImportJob) -> None:
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert job.message == ABANDONED_MESSAGE and job.finished_at is not None
    assert not Tag.objects.filter(pk__in=job.left_tags).exists()
    assert not ImportChunk.objects.filter(job=job).exists()
    assert job.stored_name == "" and stored_files() == []
    assert AuditEvent.objects.filter(action="import.abandon", object_id=str(job.pk)).count() == 1


def test_a_job_whose_worker_pid_is_dead_is_failed_undone_and_its_file_deleted(step_importer, users, kit):
    job = running_job(users["officer"], kit, worker_pid=dead_pid(), worker_token="another-process")
    assert stored_files() == [job.stored_name.split("/")[-1]]

    assert recover_abandoned_jobs() == 1
    assert_recovered(job)
    assert recover_abandoned_jobs() == 0  # nothing left to do the second time


def test_a_job_without_heartbeat_for_two_minutes_is_failed(step_importer, users, kit):
    job = running_job(
        users["officer"],
        kit,
        worker_host="another-node",
        worker_pid=12345,
        heartbeat_at=timezone.now() - dt.timedelta(minutes=2, seconds=5),
    )
    assert recover_abandoned_jobs() == 1
    assert_recovered(job)


def test_a_job_restarted_under_the_same_pid_is_failed(step_importer, users, kit):
    # In a container the server is often pid 1 again after a restart: the
    # per-process token tells the old worker from this one.
    job = running_job(users["officer"], kit, worker_token="before-the-restart")
    assert recover_abandoned_jobs() == 1
    assert_recovered(job)


@pytest.mark.parametrize(
    "worker",
    [
        {},  # this process, beating
        {"worker_host": "another-node", "worker_pid": 12345},  # elsewhere, beating
        {"worker_token": "a-live-one", "worker_pid": os.getppid()},  # another live process on this host
    ],
)
def test_a_job_whose_worker_is_alive_is_left_alone(step_importer, users, kit, worker):
    job = running_job(users["officer"], kit, **worker)
    assert recover_abandoned_jobs() == 0
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTING and job.stored_name
    assert Tag.objects.filter(pk__in=job.left_tags).count() == 3


def test_the_job_page_recovers_the_job_and_says_what_happened(step_importer, users, kit, login):
    job = running_job(users["officer"], kit, worker_pid=dead_pid(), worker_token="gone")
    client = login(users["officer"])

    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'data-status="failed"' in page and ABANDONED_MESSAGE in page and "every 1s" not in page
    assert_recovered(job)


def test_the_job_list_recovers_abandoned_jobs(step_importer, users, kit, login, monkeypatch):
    monkeypatch.setattr(runner, "_last_recovery", 0.0)
    job = running_job(users["officer"], kit, heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    listing = login(users["officer"]).get("/imports/").content.decode()
    assert "失败" in listing
    assert_recovered(job)


def test_recover_command(step_importer, users, kit, capsys):
    job = running_job(users["officer"], kit, worker_pid=dead_pid(), worker_token="gone")
    call_command("imports", "recover")
    assert "已处理 1 个中止的导入任务" in capsys.readouterr().out
    assert_recovered(job)


def test_a_worker_whose_job_was_taken_over_stops_and_its_steps_are_undone(step_importer, users, kit, monkeypatch):
    """A worker that was judged gone (a long pause) but comes back must not
    go on writing: its next step finds the job no longer its own."""
    pauses = {"n": 0}

    def pause():  # between two steps: recovery marks the job failed
        pauses["n"] += 1
        if pauses["n"] == 2:
            ImportJob.objects.filter(pk=job_ids[-1]).update(status=ImportStatus.FAILED, message=ABANDONED_MESSAGE)

    job_ids: list[int] = []
    real_create = services.import_job_create

    def create(**kwargs):
        job = real_create(**kwargs)
        job_ids.append(job.pk)
        return job

    monkeypatch.setattr(runner, "_pause", pause)
    monkeypatch.setattr(services, "import_job_create", create)
    tags_before = Tag.objects.count()
    job = start_import(
        actor=users["officer"], kind="demo_steps", upload=kit.upload(kit.sheet_bytes(list("甲乙丙丁戊己")))
    )

    assert (job.status, job.message) == (ImportStatus.FAILED, ABANDONED_MESSAGE)
    assert len(step_importer.steps_seen) == 2  # no step after the takeover
    assert Tag.objects.count() == tags_before
    assert not ImportChunk.objects.filter(job=job).exists() and stored_files() == []
