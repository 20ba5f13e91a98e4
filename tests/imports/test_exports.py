"""Big list exports as background jobs (issue 11): up to ZHIBEN_EXPORT_INLINE_MAX rows the file is
written in the request as before; above it a job is started, the worker writes the file (progress
on the job page), only its creator downloads it, ``zhiben tick`` deletes it when it expires, and a
job whose worker died is failed with the reason and its partial file deleted."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from zhiben.audit.models import AuditEvent
from zhiben.core import background
from zhiben.hazards import services as hazard_services
from zhiben.hazards.models import HazardCategory
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.imports import exports, registry, tick
from zhiben.imports.choices import ExportStatus
from zhiben.imports.models import ExportJob
from zhiben.imports.services import export_job_create
from zhiben.imports.tasks import recover
from zhiben.registry.models import Sector, Unit

EXPORT_URL = "/hazards/export/"


def make_hazards(actor, owner, n: int, *, level: str = "general") -> None:
    sector = Sector.objects.get(code="commerce")
    category = HazardCategory.objects.get(code="fire-tdzd")
    for i in range(n):
        hazard_services.hazard_create(
            actor=actor,
            allow_duplicate=True,
            notify_owner=False,
            data={
                "sector": sector,
                "category": category,
                "level": level,
                "source": "supervision",
                "found_on": dt.date(2025, 3, 1),
                "deadline": dt.date(2025, 3, 15),
                "title": f"通道堵塞 {level} {i}",
                "description": f"第 {i} 处",
                "unit_name": f"单位{i}",
                "owner": owner,
                "responsible_person": "张三",
            },
        )


def rows_of(data: bytes, sheet: str = "隐患台账") -> list[tuple]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def ledger(orgs, users):
    load_hazard_reference()
    make_hazards(users["admin"], orgs["hk-swj"], 5, level="general")
    make_hazards(users["admin"], orgs["hk-swj"], 2, level="major")
    make_hazards(users["admin"], orgs["hk-jgw"], 3, level="general")  # out of the officer's scope


@pytest.mark.django_db
def test_at_or_below_the_threshold_the_file_is_written_in_the_request(ledger, users, login, settings):
    settings.ZHIBEN_EXPORT_INLINE_MAX = 7  # the officer sees exactly 7
    response = login(users["officer"]).get(EXPORT_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(rows_of(body(response))) == 1 + 7
    assert not ExportJob.objects.exists()
    event = AuditEvent.objects.get(action="hazard.export")
    assert event.after["rows"] == 7 and "background" not in event.after


@pytest.mark.django_db
def test_invalid_filters_are_refused_before_counting(ledger, users, login, settings):
    settings.ZHIBEN_EXPORT_INLINE_MAX = 1
    response = login(users["officer"]).get(EXPORT_URL, {"level": "bogus"})
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


@pytest.mark.django_db
def test_an_overlong_query_starts_no_job(ledger, users, login, settings):
    settings.ZHIBEN_EXPORT_INLINE_MAX = 1
    response = login(users["officer"]).get(EXPORT_URL, {"q": "", "x": "y" * 2100})
    assert response.status_code == 400
    assert "筛选条件过长" in response.content.decode()
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(action="hazard.export").exists()


@pytest.mark.django_db(transaction=True)
def test_above_the_threshold_a_job_writes_the_file_its_creator_downloads(ledger, users, login, settings, monkeypatch):
    settings.ZHIBEN_EXPORT_INLINE_MAX = 3
    monkeypatch.setattr(registry, "PROGRESS_EVERY", 2)
    seen: list[int] = []
    save = exports._save

    def spy(job, **fields):
        if "processed_rows" in fields and fields.get("status") is None:
            seen.append(fields["processed_rows"])
        return save(job, **fields)

    monkeypatch.setattr(exports, "_save", spy)
    officer = login(users["officer"])

    response = officer.get(EXPORT_URL, {"order": "found_on"})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/exports/{job.pk}/"
    assert (job.status, job.total_rows, job.query, job.created_by) == (
        ExportStatus.PENDING,
        7,
        "order=found_on",
        users["officer"],
    )
    assert job.task_id and job.stored_name.startswith("exports/") and job.filename.startswith("隐患台账_")
    event = AuditEvent.objects.get(action="hazard.export")
    assert event.after == {"rows": 7, "query": "order=found_on", "background": True, "job": job.pk}
    page = officer.get(f"/imports/exports/{job.pk}/")
    assert (
        page.status_code == 200
        and "排队中" in page.content.decode()
        and 'hx-trigger="every 1s"' in page.content.decode()
    )
    assert officer.get(f"/imports/exports/{job.pk}/download/").status_code == 404  # not written yet

    call_command("worker", batch=True)

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.message
    assert (job.row_count, job.processed_rows, job.total_rows, job.percent) == (7, 7, 7, 100)
    assert seen == [0, 2, 4, 6]  # progress saved while writing
    assert job.worker.startswith(f"{background.HOST}:{os.getpid()}:")
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)
    assert default_storage.exists(job.stored_name) and not default_storage.exists(job.stored_name + ".part")
    progress = officer.get(f"/imports/exports/{job.pk}/progress/").content.decode()
    assert "下载" in progress and "hx-trigger" not in progress

    download = officer.get(f"/imports/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    background_rows = rows_of(body(download))
    settings.ZHIBEN_EXPORT_INLINE_MAX = 1000
    inline_rows = rows_of(body(officer.get(EXPORT_URL, {"order": "found_on"})))
    assert background_rows == inline_rows and len(inline_rows) == 1 + 7

    listing = officer.get("/imports/").content.decode()
    assert "我的导出" in listing and f"/imports/exports/{job.pk}/download/" in listing

    # Another user — even the district office — gets 404, and the attempt is audited.
    for other in (users["admin"], users["leader"]):
        client = login(other)
        for path in ("", "progress/", "download/"):
            assert client.get(f"/imports/exports/{job.pk}/{path}").status_code == 404
        assert f"/imports/exports/{job.pk}/" not in client.get("/imports/").content.decode()
    assert AuditEvent.objects.filter(action="access.denied", object_type="imports.exportjob").count() == 6


@pytest.mark.django_db(transaction=True)
def test_the_worker_applies_the_creators_scope_and_filters_as_they_are_at_run_time(ledger, users, orgs):
    officer = users["officer"]
    job = export_job_create(actor=officer, kind="hazards", query="level=major", total_rows=99)
    inactive = export_job_create(actor=officer, kind="hazards", query="", total_rows=99)
    call_command("worker", batch=True)  # both run: the second only after the first is done
    job.refresh_from_db()
    assert (job.status, job.row_count, job.total_rows) == (ExportStatus.DONE, 2, 2)
    with default_storage.open(job.stored_name, "rb") as fh:
        codes = {r[0] for r in rows_of(fh.read())[1:]}
    assert len(codes) == 2

    officer.is_active = False
    officer.save(update_fields=["is_active"])
    inactive.refresh_from_db()
    assert inactive.status == ExportStatus.DONE  # it ran before the account was disabled
    late = ExportJob.objects.create(
        kind="hazards", created_by=officer, stored_name="exports/late.xlsx", filename="x.xlsx"
    )
    exports.run_export_job(late.pk)
    late.refresh_from_db()
    assert (late.status, late.message) == (ExportStatus.FAILED, exports.INACTIVE_MESSAGE)
    assert not default_storage.exists("exports/late.xlsx")


@pytest.mark.django_db(transaction=True)
def test_units_and_sites_export_in_the_background_with_the_same_rows(users, login, settings, orgs):
    from zhiben.registry.reference import load_files

    load_files()
    sector = Sector.objects.get(code="commerce")
    Unit.objects.bulk_create(
        Unit(name=f"批量单位{i:03d}", street=orgs["hk-bwt"], owner=orgs["hk-swj"], sector=sector) for i in range(30)
    )
    officer = login(users["officer"])
    settings.ZHIBEN_EXPORT_INLINE_MAX = 10_000
    inline = rows_of(body(officer.get("/units/export/")), "生产经营单位")
    settings.ZHIBEN_EXPORT_INLINE_MAX = 10
    response = officer.get("/units/export/")
    assert response.status_code == 302
    call_command("worker", batch=True)
    job = ExportJob.objects.get(kind="units")
    assert job.status == ExportStatus.DONE and job.filename.startswith("生产经营单位_")
    assert rows_of(body(officer.get(f"/imports/exports/{job.pk}/download/")), "生产经营单位") == inline
    assert AuditEvent.objects.get(action="unit.export", after__background=True).after["rows"] == len(inline) - 1


@pytest.mark.django_db
def test_expired_files_are_deleted_by_the_tick(users):
    now = timezone.now()
    jobs = []
    for hours_ago in (30, 1):
        name = default_storage.save(f"exports/t{hours_ago}.xlsx", ContentFile(b"PK"))
        jobs.append(
            ExportJob.objects.create(
                kind="hazards",
                created_by=users["officer"],
                status=ExportStatus.DONE,
                stored_name=name,
                filename="f.xlsx",
                finished_at=now - dt.timedelta(hours=hours_ago),
                expires_at=now - dt.timedelta(hours=hours_ago) + exports.keep_for(),
            )
        )
    old, fresh = jobs
    assert tick.run(now, dry_run=True) == {"export_files_expired": 1}
    assert default_storage.exists(old.stored_name)
    assert tick.run(now) == {"export_files_deleted": 1}
    assert not default_storage.exists(old.stored_name) and default_storage.exists(fresh.stored_name)
    old.refresh_from_db()
    assert old.stored_name == "" and "已过期删除" in old.message and not old.is_downloadable
    assert tick.run(now) == {"export_files_deleted": 0}
    assert set(tick.LABELS) == {"export_files_deleted", "export_files_expired"}


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.django_db
def test_an_export_whose_worker_died_is_failed_with_the_reason_and_its_partial_file_deleted(users, login, capsys):
    worker = f"{background.HOST}:{dead_pid()}:deadbeef"
    job = ExportJob.objects.create(
        kind="hazards",
        created_by=users["officer"],
        status=ExportStatus.RUNNING,
        worker=worker,
        total_rows=10_000,
        processed_rows=3_000,
        stored_name="exports/cut.xlsx",
        filename="f.xlsx",
    )
    default_storage.save("exports/cut.xlsx.part", ContentFile(b"half a zip"))
    alive = ExportJob.objects.create(
        kind="hazards",
        created_by=users["officer"],
        status=ExportStatus.RUNNING,
        worker=background.worker_id(),
        stored_name="exports/alive.xlsx",
        filename="f.xlsx",
    )

    call_command("imports", "recover")  # what a worker's recover() does, on demand
    assert "、1 个中止的导出任务" in capsys.readouterr().out
    job.refresh_from_db()
    alive.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.finished_at
    assert "导出进程意外中止" in job.message and worker in job.message
    assert not default_storage.exists("exports/cut.xlsx.part") and job.stored_name == ""
    assert alive.status == ExportStatus.RUNNING  # this process is alive
    event = AuditEvent.objects.get(action="export.abandon")
    assert event.after["worker"] == worker
    page = login(users["officer"]).get(f"/imports/exports/{job.pk}/").content.decode()
    assert "导出进程意外中止" in page


@pytest.mark.django_db
def test_a_pending_export_whose_task_ended_without_taking_it_is_failed(users):
    from django_tasks_db.models import DBTaskResult

    job = export_job_create(actor=users["officer"], kind="hazards", query="", total_rows=50_000)
    job.refresh_from_db()
    assert recover() == 0  # its task waits: so does the job
    DBTaskResult.objects.filter(pk=job.task_id).update(status="FAILED")
    assert recover() == 1
    job.refresh_from_db()
    assert (job.status, job.message) == (ExportStatus.FAILED, exports.LOST_MESSAGE)


def test_with_progress_reports_every_n_rows():
    calls: list[int] = []
    assert list(registry.with_progress(range(7), calls.append, every=3)) == list(range(7))
    assert calls == [3, 6]
    assert list(registry.with_progress(range(3), None)) == [0, 1, 2]
