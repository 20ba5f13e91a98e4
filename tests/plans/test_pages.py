"""Pages: upload (new, same again, revision with diff confirmation), plan
detail with timeline, my tasks, report pages, names, the xlsx export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from zhiben.plans.models import Plan, PlanImport, ProgressReport, Task

pytestmark = pytest.mark.django_db


def plan_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.txt", (Path(settings.DATA_DIR) / "plans" / f"{name}.txt").read_bytes())


def test_upload_new_then_same_then_revised(users, sectors, login):
    client = login(users["admin"])
    assert client.get("/plans/upload/").status_code == 200
    response = client.post("/plans/upload/", {"file": plan_file("commerce")})
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "市场管理科" in page and "倒排工期" in page and 'data-testid="gantt"' in page
    again = client.post("/plans/upload/", {"file": plan_file("commerce")}, follow=True)
    assert "未做任何更改" in again.content.decode()

    text = (Path(settings.DATA_DIR) / "plans" / "commerce.txt").read_text("utf-8")
    revised = text.replace("（八）开展全民安全素质提升行动", "（八）开展全民安全素质提升专项行动")
    assert revised != text
    response = client.post("/plans/upload/", {"file": SimpleUploadedFile("commerce-v2.txt", revised.encode())})
    pending = PlanImport.objects.get()
    assert response["Location"] == f"/plans/imports/{pending.pk}/"
    assert "修订版差异" in client.get(f"/plans/imports/{pending.pk}/").content.decode()
    client.post(f"/plans/imports/{pending.pk}/", {"action": "apply"})
    plan.refresh_from_db()
    assert plan.version == 2


def test_upload_errors(users, sectors, login):
    client = login(users["admin"])
    empty = client.post("/plans/upload/", {"file": SimpleUploadedFile("empty.txt", b"")})
    assert empty.status_code == 422
    binary = client.post("/plans/upload/", {"file": SimpleUploadedFile("x.txt", bytes(range(256)) * 8)})
    assert binary.status_code == 422 and "无法解析" in binary.content.decode()
    text = (Path(settings.DATA_DIR) / "plans" / "economy.txt").read_text(encoding="utf-8")
    unknown = SimpleUploadedFile("other.txt", text.replace("虹口区经济系统", "虹口区某某系统", 1).encode())
    response = client.post("/plans/upload/", {"file": unknown})  # no sector named: the owner must be chosen
    assert response.status_code == 422 and "请选择牵头部门" in response.content.decode()
    assert login(users["officer"]).get("/plans/upload/").status_code == 404


def test_pages_render_and_scope(users, orgs, import_plan, login):
    plan = import_plan("commerce")
    eco = import_plan("ecology")
    officer = login(users["officer"])
    assert officer.get("/plans/").status_code == 200
    assert officer.get(f"/plans/{eco.pk}/").status_code == 404
    task = Task.objects.get(plan=plan, number="2")
    page = officer.get(f"/plan-tasks/{task.pk}/").content.decode()
    assert 'data-testid="report-form"' in page
    assert login(users["readonly"]).get(f"/plan-tasks/{task.pk}/").status_code == 404
    mine = login(users["section"]).get("/plan-tasks/").content.decode()
    assert task.title in mine
    response = login(users["section"]).post(
        f"/plan-tasks/{task.pk}/report/",
        {"organization": orgs["hk-swj-scglk"].pk, "month": "2025-03", "summary": "检查完成", "submit": "1"},
    )
    report = ProgressReport.objects.get()
    assert response.status_code == 302 and report.status == "submitted"
    leader = login(users["leader"])
    assert "待我确认" in leader.get("/plan-reports/?month=2025-03").content.decode()
    leader.post(f"/plan-reports/{report.pk}/do/return/", {"reason": "请补充"})
    report.refresh_from_db()
    assert report.status == "returned"
    assert leader.post(f"/plan-reports/{report.pk}/do/return/", {"reason": ""}).status_code in (302, 422)
    assert login(users["officer"]).get("/plans/names/").status_code == 404
    admin = login(users["admin"])
    assert "各相关科室" in admin.get("/plans/names/").content.decode()
    admin.post("/plans/names/", {"name": "各相关科室", "organization": orgs["hk-sthjj"].pk})
    page = admin.get("/plans/names/").content.decode()
    assert "各相关科室" not in page.split('data-testid="unresolved"')[1].split("已有对照")[0] and "各相关科室 →" in page
    admin.post(f"/plans/{plan.pk}/due-day/", {"due_day": 20})
    plan.refresh_from_db()
    assert plan.report_due_day == 20


def test_export_has_the_layout_and_merged_cells(users, import_plan, login):
    plan = import_plan("ecology")
    response = login(users["admin"]).get(f"/plans/{plan.pk}/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    ws = book.active
    assert [c.value for c in ws[2]] == ["序号", "主要任务", "工作要求", "完成时间", "牵头单位", "参与单位"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "A1:F1" in merged
    # task 4 (three milestones) spans three rows in 序号/主要任务/牵头/参与
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(r, 2).value == "培树安全生产示范典型")
    assert {f"A{row}:A{row + 2}", f"B{row}:B{row + 2}", f"E{row}:E{row + 2}", f"F{row}:F{row + 2}"} <= merged
    assert ws.cell(row, 4).value == "2024年12月底前" and ws.cell(row, 5).value == "辐射与应急管理科"
    assert "法制与宣传教育科" in ws.cell(row, 6).value
    assert json.dumps(ws.cell(3, 1).value) == '"1"'
