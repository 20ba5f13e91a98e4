"""Importing units and sites from Excel: all or nothing, every bad row named
(row, column, Chinese message), phones encrypted, sites linked to units by
统一社会信用代码, one audit row per import, templates that round-trip."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from openpyxl import load_workbook

from zhiben.audit.models import AuditEvent
from zhiben.core import crypto
from zhiben.core.testing import make_uscc
from zhiben.imports.choices import ImportStatus
from zhiben.imports.models import ImportJob
from zhiben.registry.models import Site, Unit
from zhiben.registry.tabular import SITE_HEADERS, UNIT_HEADERS

pytestmark = pytest.mark.django_db


def post(client, url: str, data: bytes, name: str = "导入.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def raw_column(pk: int, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM registry_unit WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_bad_rows_import_nothing_and_every_one_is_named(reference, users, units, login, kit):
    good = make_uscc(300_002)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [kit.unit_row(i) for i in range(30)]
    rows[2]["统一社会信用代码"] = bad_check  # Excel row 4
    rows[5]["统一社会信用代码"] = rows[1]["统一社会信用代码"]  # row 7: same as row 3
    rows[8]["统一社会信用代码"] = units["commerce"].uscc  # row 10: already registered
    rows[10]["所属街道"] = "不存在街道"  # row 12
    rows[12]["行业领域"] = "不存在的行业"  # row 14
    rows[14]["法定代表人电话"] = "电话abc"  # row 16
    rows[16]["许可证有效期至"] = "2025-13-01"  # row 18
    rows[18]["标签"] = "重点单位、不存在标签"  # row 20
    rows[20]["安责险到期日"] = ""  # row 22: 已投保 without expiry
    rows[22]["单位名称"] = ""  # row 24
    rows[24]["行业主管部门"] = "区建管委"  # row 26: the officer of 区商务委 may not
    rows[26]["安全生产标准化等级"] = "四级"  # row 28
    client = login(users["officer"])
    audit_before = AuditEvent.objects.count()
    units_before = Unit.objects.count()

    response = post(client, "/units/import/", kit.units_file(rows))

    job = last_job()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert job.status == ImportStatus.FAILED and job.created_count == 0 and job.total_rows == 30
    assert job.errors == [
        {"row": 4, "column": "统一社会信用代码", "message": "统一社会信用代码校验位错误"},
        {"row": 7, "column": "统一社会信用代码", "message": "统一社会信用代码与第 3 行重复"},
        {"row": 10, "column": "统一社会信用代码", "message": "该统一社会信用代码已登记"},
        {"row": 12, "column": "所属街道", "message": "所属街道“不存在街道”不存在"},
        {
            "row": 14,
            "column": "行业领域",
            "message": job.errors[4]["message"],
        },
        {"row": 16, "column": "法定代表人电话", "message": "电话号码格式不正确（数字，可含区号连字符）"},
        {
            "row": 18,
            "column": "许可证有效期至",
            "message": "许可证有效期至“2025-13-01”不是有效日期（可填 2025-03-01、2025/3/1 或 2025年3月1日）",
        },
        {"row": 20, "column": "标签", "message": job.errors[7]["message"]},
        {"row": 22, "column": "安责险到期日", "message": "已投保的请填写安责险到期日"},
        {"row": 24, "column": "单位名称", "message": "请填写单位名称"},
        {"row": 26, "column": "行业主管部门", "message": "您不能登记由其他部门主管的单位"},
        {"row": 28, "column": "安全生产标准化等级", "message": job.errors[11]["message"]},
    ]
    assert job.errors[4]["message"].startswith("行业领域“不存在的行业”不存在，可选：")
    assert job.errors[7]["message"].startswith("标签“不存在标签”不存在，可选：")
    assert job.errors[11]["message"].startswith("安全生产标准化等级“四级”无效，可选：一级")
    assert "12 行有误" in job.message and "未导入任何数据" in job.message
    assert Unit.objects.count() == units_before
    assert not AuditEvent.objects.filter(pk__gt=audit_before, action__in=["unit.import", "unit.create"]).exists()

    page = client.get(f"/imports/{job.pk}/").content.decode()
    for text in ("第 4 行", "校验位错误", "第 7 行", "与第 3 行重复", "第 28 行", 'href="/units/import/"'):
        assert text in page


def test_clean_file_imports_units_with_encrypted_phones_and_one_audit_row(reference, users, login, kit):
    rows = [kit.unit_row(i) for i in range(40)]
    client = login(users["officer"])
    audit_before = AuditEvent.objects.count()

    post(client, "/units/import/", kit.units_file(rows))

    job = last_job()
    assert job.status == ImportStatus.DONE, (job.message, job.errors[:5])
    assert (job.total_rows, job.created_count) == (40, 40)
    assert job.message == "成功导入 40 条生产经营单位"
    imported = Unit.objects.filter(uscc__in=[r["统一社会信用代码"] for r in rows]).order_by("pk")
    assert imported.count() == 40
    first = imported.get(uscc=rows[0]["统一社会信用代码"])
    assert first.owner.code == "hk-swj" and first.street.code == "hk-bwt" and first.sector.code == "commerce"
    assert sorted(first.tags.values_list("code", flat=True)) == ["crowded", "key_unit"]
    assert first.insurance_status == "insured" and str(first.insurance_expiry) == "2026-06-30"
    assert first.standardization_level == "level3" and first.license_status == "not_required"
    # Phones: the raw columns hold Fernet tokens, different for the same number, and decrypt.
    raw = [raw_column(u.pk, "legal_rep_phone") for u in imported[:2]]
    assert all(value.startswith("fernet:") for value in raw) and raw[0] != raw[1]
    assert "13800001234" not in "".join(raw)
    assert crypto.decrypt(raw[0]) == "13800001234"
    assert first.legal_rep_phone == "13800001234" and first.safety_contact_phone == "021-65001234"
    # ONE audit row for the import (not one per unit), with the id range.
    events = AuditEvent.objects.filter(pk__gt=audit_before)
    assert not events.filter(action="unit.create").exists()
    summary = events.get(action="unit.import")
    ids = list(imported.values_list("pk", flat=True))
    assert summary.after == {"job": job.pk, "created": 40, "first_id": min(ids), "last_id": max(ids)}
    assert summary.object_type == "registry.unit" and summary.actor_id == users["officer"].pk
    assert "13800001234" not in str(summary.after)


def test_sites_link_to_units_in_the_same_file_and_to_registered_ones(reference, users, units, login, kit):
    new_units = [kit.unit_row(i) for i in range(3)]
    sites = [
        kit.site_row(0, 所属单位统一社会信用代码=new_units[0]["统一社会信用代码"], 所属街道=""),
        kit.site_row(1, 所属单位统一社会信用代码=units["commerce"].uscc.lower()),
        kit.site_row(2, 场所类型="construction_site", 专有信息="施工阶段：基坑；含深基坑：是", 纬度="", 经度=""),
        kit.site_row(3),
    ]
    client = login(users["admin"])
    audit_before = AuditEvent.objects.count()

    post(client, "/sites/import/", kit.sites_file(sites, units=new_units))

    job = last_job()
    assert job.status == ImportStatus.DONE, (job.message, job.errors[:5])
    assert job.created_count == 4 and job.message == "成功导入 4 条场所"
    by_name = {s.name: s for s in Site.objects.select_related("unit", "owner", "street", "site_type")}
    linked_new = by_name["测试综合体0"]
    assert linked_new.unit.uscc == new_units[0]["统一社会信用代码"]
    assert linked_new.street.code == "hk-bwt"  # from its unit
    assert linked_new.address == new_units[0]["地址"]
    assert linked_new.owner.code == "hk-swj-syfzk"  # data/ownership.yaml
    assert linked_new.attributes == {"floor_area_m2": 12000, "crowded": True}
    assert str(linked_new.latitude) == "31.250000"
    assert by_name["测试综合体1"].unit == units["commerce"]
    works = by_name["测试综合体2"]
    assert works.site_type.code == "construction_site" and works.owner.code == "hk-jgw"
    assert works.attributes == {"stage": "基坑", "has_deep_pit": True} and works.latitude is None
    assert by_name["测试综合体3"].unit is None
    assert all(s.public_code.startswith("CS-") for s in by_name.values())
    assert Unit.objects.filter(uscc__in=[u["统一社会信用代码"] for u in new_units]).count() == 3
    events = AuditEvent.objects.filter(pk__gt=audit_before)
    assert events.get(action="site.import").after["created"] == 4
    assert events.get(action="unit.import").after["created"] == 3
    assert not events.filter(action__in=["site.create", "unit.create"]).exists()


def test_bad_site_rows_are_all_named_and_nothing_is_imported(reference, users, units, login, kit):
    sites = [kit.site_row(i) for i in range(8)]
    sites[0]["场所类型"] = "不存在的类型"  # row 2
    sites[1]["所属单位统一社会信用代码"] = make_uscc(999_999)  # row 3: unknown unit
    sites[2]["纬度"] = 95  # row 4
    sites[3]["经度"] = ""  # row 5: latitude without longitude
    sites[4]["专有信息"] = "楼层：3"  # row 6: no such attribute
    sites[5]["纬度"] = "北纬31度"  # row 7
    units_sheet = [kit.unit_row(0, 统一社会信用代码=units["commerce"].uscc)]  # row 2 of the unit sheet
    client = login(users["admin"])
    sites_before = Site.objects.count()

    post(client, "/sites/import/", kit.sites_file(sites, units=units_sheet))

    job = last_job()
    assert job.status == ImportStatus.FAILED
    found = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert found[(2, "生产经营单位·统一社会信用代码")] == "该统一社会信用代码已登记"  # the unit sheet
    assert found[(2, "场所类型")].startswith("场所类型“不存在的类型”不存在")
    assert found[(3, "所属单位统一社会信用代码")].endswith("不存在或您无权访问")
    assert found[(4, "纬度")] == "纬度应在 -90 到 90 之间"
    assert found[(5, "纬度")] == "经纬度须同时填写"
    assert found[(6, "专有信息")].startswith("“大型商业综合体”没有专有字段“楼层”")
    assert found[(7, "纬度")] == "经纬度须为数字"
    assert len(job.errors) == 7
    assert Site.objects.count() == sites_before


def test_a_unit_of_another_scope_is_not_revealed_to_a_street_officer(reference, users, units, login, kit):
    # 江湾工地 (区建管委, 江湾镇) is out of the 北外滩 officer's scope: same message as a missing unit.
    sites = [kit.site_row(0, 所属单位统一社会信用代码=units["construction"].uscc)]
    post(login(users["street"]), "/sites/import/", kit.sites_file(sites))
    job = last_job()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {
            "row": 2,
            "column": "所属单位统一社会信用代码",
            "message": f"所属单位（{units['construction'].uscc}）不存在或您无权访问",
        }
    ]


@pytest.mark.parametrize(
    ("url", "user", "status"),
    [
        ("/units/import/", "street", 403),
        ("/units/import/", "expert", 403),
        ("/sites/import/", "enterprise", 403),
        ("/sites/import/", "street", 200),
        ("/units/import/", "officer", 200),
    ],
)
def test_who_may_import(reference, users, login, url, user, status):
    assert login(users[user]).get(url).status_code == status


def _fill(template: bytes, sheet: str, headers, rows) -> bytes:
    wb = load_workbook(io.BytesIO(template))
    ws = wb[sheet]
    assert tuple(c.value for c in ws[1]) == tuple(headers)
    for r, row in enumerate(rows, start=2):
        for c, header in enumerate(headers, start=1):
            value = row.get(header)
            if value not in (None, ""):
                ws.cell(r, c, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_unit_template_round_trip(reference, users, login, kit):
    client = login(users["officer"])
    response = client.get("/units/import/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["生产经营单位", "填写说明", "选项"]
    ws = wb["生产经营单位"]
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            by_column[ws.cell(1, cell_range.min_col).value] = dv
    for header in ("所属街道", "行业领域", "安全生产责任险", "安全生产标准化等级", "安全生产许可证"):
        assert by_column[header].type == "list" and by_column[header].showErrorMessage, header
    for header in ("行业主管部门", "标签"):
        assert by_column[header].type == "list" and not by_column[header].showErrorMessage, header
    help_text = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "整个文件都不会导入" in help_text and "已投保" in help_text
    options = [c.value for row in wb["选项"].iter_rows() for c in row if c.value]
    assert "北外滩街道" in options and "商务" in options and "重点单位" in options

    filled = _fill(response.content, "生产经营单位", UNIT_HEADERS, [kit.unit_row(i) for i in range(3)])
    post(client, "/units/import/", filled, name="模板.xlsx")
    job = last_job()
    assert job.status == ImportStatus.DONE, (job.message, job.errors)
    assert job.created_count == 3


def test_site_template_round_trip(reference, users, login, kit):
    client = login(users["admin"])
    response = client.get("/sites/import/template/")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["场所", "填写说明", "选项"]
    help_text = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "施工阶段（基坑/主体结构/装饰装修/竣工收尾）" in help_text
    filled = _fill(response.content, "场所", SITE_HEADERS, [kit.site_row(i) for i in range(2)])
    post(client, "/sites/import/", filled)
    job = last_job()
    assert job.status == ImportStatus.DONE, (job.message, job.errors)
    assert Site.objects.filter(name__startswith="测试综合体").count() == 2
