"""Excel: the 事故多发点段 and 一校一方案 imports (whole file or every bad row named, written
through the services) and the exports (filtered, scoped; an export imports again as new rows)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhiben.audit.models import AuditEvent
from zhiben.imports.services import start_import
from zhiben.traffic.models import BlackSpotListing, SchoolSafetyPlan
from zhiben.traffic.tabular import LISTING_COLUMNS, LISTING_SHEET, PLAN_COLUMNS, PLAN_SHEET

pytestmark = pytest.mark.django_db


@pytest.fixture
def sync_imports(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook(sheet_name, columns, rows: list[dict]) -> bytes:
    from openpyxl import Workbook

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


def run(actor, kind: str, content: bytes):
    upload = SimpleUploadedFile("x.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return start_import(actor=actor, kind=kind, upload=upload)


def test_listing_import_goes_through_the_services(traffic, sync_imports, today):
    rows = [
        {
            "场所码": traffic["spots"][0].public_code,
            "挂牌年度": 2024,
            "挂牌级别": "市级",
            "认定事故起数": 6,
            "牵头单位": "区公安分局",
        },
        {
            "场所码": traffic["spots"][1].public_code.lower(),
            "挂牌年度": "2025",
            "挂牌级别": "区级",
            "牵头单位": "区建管委",
            "挂牌原因": "视距不足",
        },
    ]
    job = run(traffic["gafj"], "black_spots", workbook(LISTING_SHEET, LISTING_COLUMNS, rows))
    assert job.status == "done", job.errors
    made = {x.site_id: x for x in BlackSpotListing.objects.select_related("rectification")}
    first = made[traffic["spots"][0].pk]
    assert (first.year, first.level, first.accident_count, first.lead_org.code) == (2024, "city", 6, "hk-gafj")
    assert made[traffic["spots"][1].pk].reason == "视距不足"
    assert all(x.rectification.status == "not_started" for x in made.values())
    assert AuditEvent.objects.filter(action="black_spot.create").count() == 2
    assert AuditEvent.objects.get(action="black_spot.import").after["created"] == 2


def test_listing_import_names_every_bad_row_and_writes_nothing(traffic, sync_imports, today):
    code = traffic["spots"][0].public_code
    good = {"场所码": code, "挂牌年度": 2024, "挂牌级别": "区级", "牵头单位": "区公安分局"}
    traffic["listing"](1, year=2024)
    rows = [
        good,
        {**good, "挂牌年度": 2024},  # row 3: the same point and year as row 2
        {**good, "场所码": "CS-NOPE"},  # 4
        {**good, "场所码": traffic["schools"][0].public_code},  # 5: a school, not a road spot
        {**good, "挂牌级别": "省级", "挂牌年度": 2025},  # 6
        {**good, "牵头单位": "火星局", "挂牌年度": 2023},  # 7
        {**good, "场所码": traffic["spots"][1].public_code},  # 8: already listed in 2024
        {**good, "挂牌年度": "明年"},  # 9
        {**good, "认定事故起数": -2, "挂牌年度": 2022},  # 10
    ]
    job = run(traffic["gafj"], "black_spots", workbook(LISTING_SHEET, LISTING_COLUMNS, rows))
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (3, "挂牌年度"),
        (4, "场所码"),
        (5, "场所码"),
        (6, "挂牌级别"),
        (7, "牵头单位"),
        (8, "挂牌年度"),
        (9, "挂牌年度"),
        (10, "认定事故起数"),
    }
    assert BlackSpotListing.objects.count() == 1  # the one made before


def test_listing_import_checks_the_right_per_row(traffic, sync_imports, today):
    row = {"场所码": traffic["spots"][0].public_code, "挂牌年度": 2024, "挂牌级别": "区级", "牵头单位": "区公安分局"}
    job = run(traffic["jgw"], "black_spots", workbook(LISTING_SHEET, LISTING_COLUMNS, [row]))
    assert job.status == "failed"  # 区建管委 sees no such point (not its site, not its lead)
    assert not BlackSpotListing.objects.exists()


def test_listing_export_is_filtered_and_scoped_and_imports_again(traffic, login, sync_imports, today):
    from openpyxl import load_workbook

    item = traffic["listing"](0, year=2024, level="city")
    traffic["advance"](item, "start", "complete")
    traffic["listing"](2, year=2025, lead="hk-jgw")
    response = login(traffic["jgw"]).get("/traffic/black-spots/export/")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "逸仙路下匝道"  # 区建管委 sees only the point it leads
    full = login(traffic["gafj"]).get("/traffic/black-spots/export/", {"status": "completed"})
    content = b"".join(full.streaming_content) if full.streaming else full.content
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["东大名路—旅顺路口"] and rows[1][9] == "已完成"
    assert AuditEvent.objects.filter(action="black_spot.export").count() == 2
    BlackSpotListing.objects.filter(pk=item.pk).delete()  # cascade removes its 整治; the export is then new again
    job = run(traffic["gafj"], "black_spots", content)
    assert job.status == "done", job.errors
    again = BlackSpotListing.objects.get(site=traffic["spots"][0])
    assert (again.year, again.level, again.rectification.status) == (2024, "city", "not_started")


def test_plan_import_and_export(traffic, login, sync_imports, today):
    rows = [
        {"场所码": traffic["schools"][0].public_code, "学年": 2026, "护学岗": "2 个岗", "状态": "编制中"},
        {
            "场所码": traffic["schools"][2].public_code,
            "学年": 2026,
            "护学岗": "1 个岗",
            "交通设施": "标线",
            "接送秩序": "即停即走",
            "责任民警/交警": "刘警官",
            "联系电话": "13800000000",
            "审核日期": "2026-09-05",
            "状态": "已落实",
        },
    ]
    bad = run(
        traffic["street"],
        "school_plans",
        workbook(
            PLAN_SHEET,
            PLAN_COLUMNS,
            [
                *rows,
                {**rows[0], "学年": 2026},
                {"场所码": traffic["schools"][1].public_code, "学年": 2026},
                {**rows[1], "状态": "已落实", "交通设施": "", "学年": 2025},
            ],
        ),
    )
    assert bad.status == "failed"
    assert {(e["row"], e["column"]) for e in bad.errors} == {(4, "学年"), (5, "场所码"), (6, "交通设施")}
    assert not SchoolSafetyPlan.objects.exists()
    job = run(traffic["street"], "school_plans", workbook(PLAN_SHEET, PLAN_COLUMNS, rows))
    assert job.status == "done", job.errors
    assert sorted(SchoolSafetyPlan.objects.values_list("status", flat=True)) == ["drafting", "implemented"]
    assert AuditEvent.objects.get(action="school_plan.import").after["created"] == 2
    response = login(traffic["street"]).get("/traffic/school-plans/export/")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert len(rows) == 3 and {r[1] for r in rows[1:]} == {"北外滩小学", "北外滩幼儿园"}


def test_templates_download(traffic, login):
    client = login(traffic["gafj"])
    for url in ("/traffic/black-spots/import/template/", "/traffic/school-plans/import/template/"):
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client.get("/traffic/black-spots/import/").status_code == 200
