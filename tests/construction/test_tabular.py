"""Excel: 危大工程/起重机械 import (all or nothing, the services' rules per row) and export;
the 全国重大事故隐患数据库 export's layout, content and scope."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from zhiben.audit.models import AuditEvent
from zhiben.construction import services
from zhiben.construction.models import Crane, DangerousWork
from zhiben.construction.tabular import CRANE_COLUMNS, MAJOR_HEADERS, WORK_COLUMNS
from zhiben.hazards import services as hazard_services

from .conftest import past

NATIONAL_LAYOUT = (
    "序号",
    "工程名称",
    "工程地址",
    "建设单位",
    "施工单位",
    "监理单位",
    "隐患描述",
    "判定依据（条款）",
    "排查日期",
    "整改期限",
    "整改责任人",
    "整改措施",
    "整改完成情况",
    "销号日期",
    "所属区",
)


@pytest.fixture
def sync_imports(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.MEDIA_ROOT = tmp_path / "media"


def _book(sheet_name, columns, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    headers = [c.header for c in columns]
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(actor, kind, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiben.imports.services import start_import

    upload = SimpleUploadedFile(
        f"{kind}.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return start_import(actor=actor, kind=kind, upload=upload)


def _sheet(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content, list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_work_import_creates_rows_with_one_audit_row(people, project, sync_imports):
    row = {
        "场所码": project.public_code,
        "名称/部位": "1#楼基坑",
        "类别": "基坑工程",
        "超过一定规模": "是",
        "专项方案审批日期": "2026-01-05",
        "方案审批人": "王工",
        "专家论证日期": "2026-01-02",
        "专家论证结论": "通过",
        "需第三方监测": "是",
        "状态": "施工中",
    }
    job = _import(
        people["builder"],
        "dangerous_works",
        _book(
            "危大工程",
            WORK_COLUMNS,
            [row, {**row, "名称/部位": "落地脚手架", "类别": "脚手架工程", "超过一定规模": "否", "状态": ""}],
        ),
    )
    assert job.status == "done", job.errors
    works = {w.name: w for w in DangerousWork.objects.all()}
    assert works["1#楼基坑"].status == "in_progress" and works["1#楼基坑"].expert_conclusion == "pass"
    assert works["落地脚手架"].status == "not_started" and works["落地脚手架"].work_type == "scaffold"
    assert AuditEvent.objects.get(action="dangerous_work.import").after["created"] == 2


def test_work_import_refuses_the_whole_file_and_names_every_bad_row(people, project, other_project, sync_imports):
    good = {"场所码": project.public_code, "名称/部位": "基坑", "类别": "基坑工程"}
    rows = [
        good,
        {**good, "类别": "山洞"},
        {**good, "场所码": other_project.public_code},  # another builder's site
        {**good, "超过一定规模": "是", "状态": "施工中", "专项方案审批日期": "2026-01-05", "方案审批人": "王工"},
        {**good, "专项方案审批日期": "明天"},
    ]
    job = _import(people["builder"], "dangerous_works", _book("危大工程", WORK_COLUMNS, rows))
    assert job.status == "failed"
    found = {(e["row"], e["column"]) for e in job.errors}
    assert found == {(3, "类别"), (4, "场所码"), (5, "状态"), (6, "专项方案审批日期")}
    assert any("专家论证" in e["message"] for e in job.errors if e["row"] == 5)
    assert not DangerousWork.objects.exists()


def test_crane_import_applies_the_in_use_rule_and_duplicates(people, project, sync_imports):
    good = {"场所码": project.public_code, "类型": "塔式起重机", "备案编号": "T-1", "产权单位": "申江租赁"}
    rows = [good, {**good, "备案编号": "T-2", "状态": "检验合格在用"}, {**good}]
    job = _import(people["jgw"], "cranes", _book("起重机械", CRANE_COLUMNS, rows))
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {(3, "状态"), (4, "备案编号")}
    assert not Crane.objects.exists()
    job = _import(people["jgw"], "cranes", _book("起重机械", CRANE_COLUMNS, [good]))
    assert job.status == "done" and Crane.objects.get().status == "installing"


def test_exports_round_trip_and_show_the_inspection_state(people, project, login, sync_imports):
    services.crane_create(
        actor=people["jgw"],
        data={
            "site": project,
            "crane_type": "tower",
            "record_no": "T-9",
            "owner_unit": "申江",
            "inspection_valid_until": timezone.localdate() - dt.timedelta(days=3),
        },
    )
    content, rows = _sheet(login(people["builder"]).get("/construction/cranes/export/"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["场所码"] == project.public_code and row["备案编号"] == "T-9"
    assert row["检验有效期状态"].startswith("已过期")
    services.work_create(
        actor=people["jgw"], data={"site": project, "name": "深基坑", "work_type": "pit", "over_scale": True}
    )
    content, rows = _sheet(login(people["builder"]).get("/construction/works/export/", {"work_type": "pit"}))
    assert rows[0] == tuple(c.header for c in WORK_COLUMNS) and len(rows) == 2
    job = _import(people["builder"], "dangerous_works", content)
    assert job.status == "done", job.errors
    assert DangerousWork.objects.filter(name="深基坑", over_scale=True).count() == 2
    assert login(people["officer"]).get("/construction/works/export/", {"status": "bogus"}).status_code == 400


@pytest.fixture
def major_hazard(people, project, reference, orgs, units):
    hazard = hazard_services.hazard_create(
        actor=people["admin"],
        data={
            "sector": reference["sectors"]["construction"],
            "category": reference["categories"]["cons-jk"],
            "level": "major",
            "source": "supervision",
            "found_on": past(10),
            "title": "深基坑未监测",
            "description": "1#楼深基坑开挖至 -9.6m，未委托第三方监测",
            "unit": units["construction"],
            "site": project,
            "owner": orgs["hk-jgw"],
            "deadline_kind": "date",
            "deadline": past(-20),
            "responsible_person": "周建国",
        },
        allow_duplicate=True,
    )
    return hazard


def test_major_hazard_export_has_the_national_layout(people, project, major_hazard, login, reference, orgs, units):
    services.project_update(actor=people["jgw"], site=project, data={"builder": "城建公司", "supervisor": "建科监理"})
    client = login(people["jgw"])
    form = client.post(
        f"/construction/major-hazards/{major_hazard.pk}/basis/",
        {"clause": "5", "item": "深基坑施工未进行第三方监测", "measures": "委托第三方监测"},
    )
    assert form.status_code == 302
    hazard_services.hazard_create(  # a general hazard on the site: not exported
        actor=people["admin"],
        data={
            "sector": reference["sectors"]["construction"],
            "category": reference["categories"]["cons-jsj"],
            "level": "general",
            "source": "supervision",
            "found_on": past(3),
            "title": "脚手架",
            "description": "缺扣件",
            "unit": units["construction"],
            "site": project,
            "owner": orgs["hk-jgw"],
            "deadline_kind": "date",
        },
        allow_duplicate=True,
    )
    page = client.get("/construction/major-hazards/").content.decode()
    assert major_hazard.code in page
    _, rows = _sheet(client.get("/construction/major-hazards/export/"))
    assert rows[0][: len(NATIONAL_LAYOUT)] == NATIONAL_LAYOUT and rows[0] == MAJOR_HEADERS
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["序号"] == 1 and row["工程名称"] == "场中路住宅项目" and row["工程地址"] == "场中路200号"
    assert row["建设单位"] == "城建公司" and row["施工单位"] == "江湾工地" and row["监理单位"] == "建科监理"
    assert row["判定依据（条款）"] == "第五条 基坑工程：深基坑施工未进行第三方监测"
    assert row["整改措施"] == "委托第三方监测" and row["整改责任人"] == "周建国"
    assert row["整改完成情况"].startswith("未完成") and row["销号日期"] is None and row["所属区"] == "虹口区"
    assert row["系统隐患编号"] == major_hazard.code
    assert AuditEvent.objects.filter(action="major_hazard.export").count() == 1
    assert AuditEvent.objects.filter(action="major_hazard.basis").count() == 1


def test_major_hazard_export_is_scoped(people, major_hazard, login):
    _, rows = _sheet(login(people["officer"]).get("/construction/major-hazards/export/"))
    assert len(rows) == 1  # headers only: the 商务委 sees no construction hazard
    assert login(people["officer"]).get(f"/construction/major-hazards/{major_hazard.pk}/basis/").status_code == 404
    assert login(people["jgw_expert"]).get(f"/construction/major-hazards/{major_hazard.pk}/basis/").status_code == 403


def test_upload_and_template_pages(people, login):
    builder = login(people["builder"])
    for url in ("/construction/works/import/", "/construction/cranes/import/"):
        assert builder.get(url).status_code == 200
        assert login(people["readonly"]).get(url).status_code == 403
    template = builder.get("/construction/works/import/template/")
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content))["危大工程"]
    assert [c.value for c in sheet[1]][:3] == ["场所码", "工程名称", "名称/部位"]
