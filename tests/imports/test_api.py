"""The job API: import jobs (list, one job with its progress and bad rows) and export jobs (progress,
then the file), scoped as the pages (out of scope: 404, audited)."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from openpyxl import Workbook, load_workbook

from zhiben.accounts.services import token_create
from zhiben.audit.models import AuditEvent
from zhiben.core import background
from zhiben.imports.choices import ExportStatus, ImportStatus
from zhiben.imports.models import ExportJob, ImportJob
from zhiben.imports.services import start_import

pytestmark = pytest.mark.django_db


def bearer(user) -> Client:
    _, secret = token_create(actor=user, name="对接", days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_import_jobs_list_is_the_callers_own_paginated_newest_first(users, login, demo_importer, kit):
    officer, street = users["officer"], users["street"]
    own = [start_import(actor=officer, kind="demo", upload=kit.upload(kit.sheet_bytes([f"行{i}"]))) for i in range(3)]
    start_import(actor=street, kind="demo", upload=kit.upload(kit.sheet_bytes(["别人的"])))

    client = bearer(officer)
    first = client.get("/api/v1/imports", {"limit": 2}).json()
    assert [item["id"] for item in first["items"]] == [own[2].pk, own[1].pk]
    assert first["items"][0]["status"] == "done" and first["items"][0]["status_label"] == "已完成"
    assert first["items"][0]["created_count"] == 1 and first["items"][0]["percent"] == 100
    second = client.get("/api/v1/imports", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["items"]] == [own[0].pk] and second["next_cursor"] is None
    # The district office sees every job.
    assert len(bearer(users["admin"]).get("/api/v1/imports").json()["items"]) == 4


def test_import_job_detail_has_progress_and_every_bad_row(users, demo_importer, kit):
    officer = users["officer"]
    job = start_import(
        actor=officer,
        kind="demo",
        upload=kit.upload(kit.sheet_bytes(["好", "名字超过十个字符的一行", "另一个超过十个字符的名字"])),
    )
    assert job.status == ImportStatus.FAILED
    data = bearer(officer).get(f"/api/v1/imports/{job.pk}").json()
    assert data["status"] == "failed" and data["total_rows"] == 3 and data["processed_rows"] == 3
    assert data["created_count"] == 0 and "有误" in data["message"]
    assert [(e["row"], e["column"]) for e in data["errors"]] == [(3, "名称"), (4, "名称")]


def test_import_job_out_of_scope_is_404_and_audited(users, demo_importer, kit):
    job = start_import(actor=users["officer"], kind="demo", upload=kit.upload(kit.sheet_bytes(["a"])))
    response = bearer(users["street"]).get(f"/api/v1/imports/{job.pk}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert AuditEvent.objects.filter(action="access.denied", object_type="imports.importjob").count() == 1
    assert bearer(users["street"]).get("/api/v1/imports/999999").status_code == 404


def test_import_job_whose_worker_is_gone_reads_as_failed(users):
    job = ImportJob.objects.create(
        kind="demo",
        created_by=users["officer"],
        original_name="x.xlsx",
        status=ImportStatus.VALIDATING,
        worker_host="elsewhere",
        worker_pid=1,
        heartbeat_at=None,
    )
    ImportJob.objects.filter(pk=job.pk).update(updated_at="2020-01-01T00:00:00Z")
    data = bearer(users["officer"]).get(f"/api/v1/imports/{job.pk}").json()
    assert data["status"] == "failed" and "意外中止" in data["message"]


def export_job(user, **fields) -> ExportJob:
    defaults = {"kind": "hazards", "created_by": user, "filename": "隐患台账_20261207.xlsx", "query": "level=major"}
    return ExportJob.objects.create(**{**defaults, **fields})


def test_export_job_progress_then_the_file_for_its_creator_only(users):
    officer = users["officer"]
    job = export_job(
        officer,
        status=ExportStatus.RUNNING,
        worker=background.worker_id(),
        total_rows=40_000,
        processed_rows=10_000,
        stored_name="exports/api.xlsx",
    )
    client = bearer(officer)
    data = client.get(f"/api/v1/exports/{job.pk}").json()
    assert (data["status"], data["processed_rows"], data["total_rows"], data["percent"]) == (
        "running",
        10_000,
        40_000,
        25,
    )
    assert data["download_url"] is None and data["kind_label"] == "隐患台账" and data["query"] == "level=major"
    assert client.get(f"/api/v1/exports/{job.pk}/file").status_code == 404

    wb = Workbook()
    wb.active.append(["编号"])
    out = io.BytesIO()
    wb.save(out)
    default_storage.save("exports/api.xlsx", ContentFile(out.getvalue()))
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.DONE, row_count=0, processed_rows=40_000)
    data = client.get(f"/api/v1/exports/{job.pk}").json()
    assert data["status"] == "done" and data["percent"] == 100
    assert data["download_url"] == f"/api/v1/exports/{job.pk}/file"
    response = client.get(data["download_url"])
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(b"".join(response.streaming_content))).active["A1"].value == "编号"

    for other in (users["admin"], users["leader"]):
        for path in (f"/api/v1/exports/{job.pk}", f"/api/v1/exports/{job.pk}/file"):
            assert bearer(other).get(path).status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", object_type="imports.exportjob").count() == 4


def test_export_job_whose_worker_is_gone_reads_as_failed_with_the_reason(users):
    job = export_job(
        users["officer"],
        status=ExportStatus.RUNNING,
        worker=f"{background.HOST}:{2**22 + 7}:gone",
        stored_name="exports/g.xlsx",
    )
    data = bearer(users["officer"]).get(f"/api/v1/exports/{job.pk}").json()
    assert data["status"] == "failed" and "导出进程意外中止" in data["message"]


def test_the_endpoints_need_authentication(db):
    for path in ("/api/v1/imports", "/api/v1/imports/1", "/api/v1/exports/1", "/api/v1/exports/1/file"):
        assert Client().get(path).status_code == 401
