"""The import-job runner: validate everything, then write all or nothing in
one transaction; progress, the job page and who sees which job."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.imports.choices import ImportStatus
from zhiben.imports.models import ImportJob
from zhiben.imports.runner import FAILED_INTERNAL, run_import_job
from zhiben.imports.services import start_import

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def test_a_good_file_is_validated_with_progress_then_written(demo_importer, users, kit):
    names = [f"第{i}项" for i in range(6)]
    job = start_import(actor=users["officer"], kind="demo", upload=kit.upload(kit.sheet_bytes(names)))

    assert job.status == ImportStatus.DONE
    assert (job.total_rows, job.processed_rows, job.created_count) == (6, 6, 6)
    assert job.message == "成功导入 6 条示例" and job.errors == [] and job.finished_at is not None
    assert job.original_name == "示例.xlsx" and job.created_by == users["officer"]
    # Progress was written (and readable) while validating.
    assert demo_importer.progress_seen == [(2, 6, 2), (4, 6, 4), (6, 6, 6)]
    assert AuditEvent.objects.filter(action="demo.create").count() == 6
    start = AuditEvent.objects.get(action="import.start")
    assert start.object_id == str(job.pk) and start.after == {"kind": "demo", "file": "示例.xlsx"}
    assert job.stored_name == "" and stored_files() == []


def test_bad_rows_fail_the_job_listing_each_and_nothing_is_written(demo_importer, users, kit):
    rows = ["好", None, "好", "", "长" * 11, "好"]
    job = start_import(actor=users["officer"], kind="demo", upload=kit.upload(kit.sheet_bytes(rows)))

    assert job.status == ImportStatus.FAILED
    # Blank rows are skipped (rows 3 and 5), so only the over-long name on row 6 is wrong.
    assert job.errors == [{"row": 6, "column": "名称", "message": "名称不能超过 10 个字（现为 11 个字）"}]
    assert job.message == "共 4 行数据，其中 1 行有误（1 处），未导入任何数据。请按下列清单改正后重新上传。"
    assert job.created_count == 0
    assert not AuditEvent.objects.filter(action="demo.create").exists()
    assert stored_files() == []


def test_a_refusal_while_writing_rolls_back_every_row(demo_importer, users, kit):
    job = start_import(actor=users["officer"], kind="demo", upload=kit.upload(kit.sheet_bytes(["甲", "乙", "拒绝"])))

    assert job.status == ImportStatus.FAILED
    assert job.errors == [{"row": 4, "column": "名称", "message": "服务拒绝了这一行"}]
    assert "未导入任何数据" in job.message
    assert not AuditEvent.objects.filter(action="demo.create").exists()


def test_an_unexpected_error_fails_the_job_in_chinese_and_rolls_back(demo_importer, users, kit):
    job = start_import(actor=users["officer"], kind="demo", upload=kit.upload(kit.sheet_bytes(["甲", "崩溃"])))

    assert (job.status, job.message) == (ImportStatus.FAILED, FAILED_INTERNAL)
    assert not AuditEvent.objects.filter(action="demo.create").exists()
    assert stored_files() == []


def test_a_job_runs_only_once(demo_importer, users, kit):
    job = start_import(actor=users["officer"], kind="demo", upload=kit.upload(kit.sheet_bytes(["甲"])))
    again = run_import_job(job.pk)
    assert (again.status, again.created_count) == (ImportStatus.DONE, 1)
    assert AuditEvent.objects.filter(action="demo.create").count() == 1


def test_who_may_import_is_the_importers_decision_and_refusals_are_audited(demo_importer, users, kit):
    from zhiben.core.errors import PermissionDeniedError

    with pytest.raises(PermissionDeniedError):
        start_import(actor=users["readonly"], kind="demo", upload=kit.upload(kit.sheet_bytes(["甲"])))
    assert ImportJob.objects.count() == 0 and stored_files() == []
    denial = AuditEvent.objects.get(action="access.denied", actor=users["readonly"])
    assert denial.after["attempted"] == "import.start"


def make_job(user, **fields) -> ImportJob:
    defaults = {"kind": "demo", "created_by": user, "original_name": "进度.xlsx"}
    return ImportJob.objects.create(**{**defaults, **fields})


def test_progress_partial_polls_while_running_and_stops_at_the_end(demo_importer, users, login):
    client = login(users["officer"])
    job = make_job(users["officer"], status=ImportStatus.VALIDATING, total_rows=1000, processed_rows=400)

    partial = client.get(f"/imports/{job.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1s"' in partial and f'hx-get="/imports/{job.pk}/progress/"' in partial
    assert 'aria-valuenow="40"' in partial and "width: 40%" in partial
    assert "已校验 400 / 约 1000 行" in partial
    assert "<html" not in partial

    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "<html" in page and "进度.xlsx" in page and 'hx-trigger="every 1s"' in page

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.IMPORTING, processed_rows=1000, written_rows=250)
    partial = client.get(f"/imports/{job.pk}/progress/").content.decode()
    assert "正在写入：已写入 250 / 1000 行" in partial and "width: 25%" in partial and "every 1s" in partial

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, created_count=1000, finished_at=timezone.now())
    partial = client.get(f"/imports/{job.pk}/progress/").content.decode()
    assert "成功导入 1000 条示例" in partial and 'href="/workspace/"' in partial and "every 1s" not in partial

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED,
        message="共 2 行数据，其中 1 行有误",
        errors=[{"row": 3, "column": "名称", "message": "请填写名称"}],
    )
    partial = client.get(f"/imports/{job.pk}/progress/").content.decode()
    assert "第 3 行" in partial and "请填写名称" in partial and "every 1s" not in partial


def test_a_job_that_stopped_moving_is_failed_when_its_page_is_shown(demo_importer, users, login):
    job = make_job(users["officer"], status=ImportStatus.VALIDATING, total_rows=10, processed_rows=2)
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(hours=2))
    partial = login(users["officer"]).get(f"/imports/{job.pk}/progress/").content.decode()
    assert "导入进程意外中止，未写入任何数据，请重新上传" in partial and "every 1s" not in partial
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.FAILED


def test_users_see_only_their_own_jobs_admins_see_all(demo_importer, users, login):
    mine = make_job(users["officer"], original_name="我的.xlsx")
    theirs = make_job(users["leader"], original_name="别人的.xlsx")
    client = login(users["officer"])

    assert client.get(f"/imports/{mine.pk}/").status_code == 200
    assert client.get(f"/imports/{theirs.pk}/").status_code == 404
    assert client.get(f"/imports/{theirs.pk}/progress/").status_code == 404
    assert (
        AuditEvent.objects.filter(action="access.denied", actor=users["officer"], object_id=str(theirs.pk)).count() == 2
    )
    listing = client.get("/imports/").content.decode()
    assert "<title>导入导出记录 · 治本</title>" in listing  # the page title is text, not the export table
    assert "我的.xlsx" in listing and "别人的.xlsx" not in listing

    admin = login(users["admin"])
    assert admin.get(f"/imports/{theirs.pk}/").status_code == 200
    listing = admin.get("/imports/").content.decode()
    assert "我的.xlsx" in listing and "别人的.xlsx" in listing
    assert login(users["leader"]).get("/imports/99999/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_without_sync_the_job_is_queued_with_its_upload_and_a_worker_runs_it(demo_importer, users, kit, settings):
    from django_tasks_db.models import DBTaskResult

    settings.ZHIBEN_IMPORT_SYNC = False
    job = start_import(actor=users["officer"], kind="demo", upload=kit.upload(kit.sheet_bytes(["甲", "乙", "丙"])))

    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING and demo_importer.threads_seen == set()  # nothing ran in the request
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert (task.status, task.queue_name, task.task_path) == ("READY", "long", "zhiben.imports.tasks.run_import")

    call_command("worker", batch=True, stdout=StringIO())

    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.created_count == 3
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.return_value == "done"
    # The audit rows written by the worker carry the upload's request id.
    start = AuditEvent.objects.get(action="import.start")
    assert set(AuditEvent.objects.filter(action="demo.create").values_list("request_id", flat=True)) == {
        start.request_id
    }
    # A second run of the same task (a retry, a second worker) does nothing.
    DBTaskResult.objects.filter(pk=task.pk).update(status="READY")
    call_command("worker", batch=True, stdout=StringIO())
    assert AuditEvent.objects.filter(action="demo.create").count() == 3
