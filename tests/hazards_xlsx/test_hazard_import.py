"""Importing hazards from Excel: all or nothing, every bad row named."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from zhiben.audit.models import AuditEvent
from zhiben.hazards.models import Hazard
from zhiben.imports.choices import ImportStatus
from zhiben.imports.models import ImportJob
from zhiben.notify.models import Notification

pytestmark = pytest.mark.django_db

IMPORT_URL = "/hazards/import/"


def post_file(client, data: bytes, name: str = "隐患.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, data)})


def last_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def test_clean_1000_rows_import_fully(reference, users, login, kit, django_capture_on_commit_callbacks):
    client = login(users["officer"])
    data = kit.workbook_bytes(kit.good_row(i) for i in range(1000))
    audit_before = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(client, data)

    job = last_job()
    assert response.status_code == 302 and response["Location"] == f"/imports/{job.pk}/"
    assert job.status == ImportStatus.DONE, (job.message, job.errors[:5])
    assert (job.total_rows, job.processed_rows, job.created_count) == (1000, 1000, 1000)
    assert job.message == "成功导入 1000 条隐患" and job.errors == []
    hazards = Hazard.objects.all()
    assert hazards.count() == 1000
    codes = list(hazards.values_list("code", flat=True))
    assert len(set(codes)) == 1000
    assert set(hazards.values_list("status", flat=True)) == {"pending"}
    assert set(hazards.values_list("owner__code", flat=True)) == {"hk-swj"}
    assert set(hazards.values_list("street__code", flat=True)) == {"hk-bwt"}
    assert Hazard.objects.filter(title="消防通道堵塞 7", deadline=dt.date(2025, 3, 15)).exists()
    new_events = AuditEvent.objects.filter(pk__gt=audit_before)
    assert new_events.filter(action="hazard.create").count() == 1000
    summary = new_events.get(action="hazard.import")
    assert summary.after == {"job": job.pk, "created": 1000}
    assert summary.object_type == "hazards.hazard"
    # One summary notification per department (t_leader and t_section are in 区商务委's subtree), not 1,000.
    notes = Notification.objects.filter(kind="hazard.import")
    assert sorted(notes.values_list("recipient__username", flat=True)) == ["t_leader", "t_section"]
    assert "1000" in notes.first().title
    assert not Notification.objects.filter(kind="hazard.create").exists()


def test_three_bad_rows_among_1000_import_nothing_and_are_all_named(reference, users, login, kit):
    rows = [kit.good_row(i) for i in range(1000)]
    rows[100]["发现日期"] = "2025-13-01"  # Excel row 102
    rows[500]["隐患类别"] = "高处坠落"  # 建筑施工 only; the row says 商务 (row 502)
    rows[998]["整改期限"] = "2025-02-01"  # before 发现日期 (row 1000)
    client = login(users["officer"])
    audit_before = AuditEvent.objects.count()

    response = post_file(client, kit.workbook_bytes(rows))

    job = last_job()
    assert response.status_code == 302
    assert job.status == ImportStatus.FAILED
    assert job.created_count == 0 and job.total_rows == 1000
    assert job.errors == [
        {
            "row": 102,
            "column": "发现日期",
            "message": "发现日期“2025-13-01”不是有效日期（可填 2025-03-01、2025/3/1 或 2025年3月1日）",
        },
        {"row": 502, "column": "隐患类别", "message": "隐患类别“高处坠落”不属于“商务”领域"},
        {"row": 1000, "column": "整改期限", "message": "整改期限 2025-02-01 早于发现日期 2025-03-01"},
    ]
    assert "3 行有误" in job.message and "未导入任何数据" in job.message
    assert Hazard.objects.count() == 0
    assert not AuditEvent.objects.filter(pk__gt=audit_before, action__in=["hazard.create", "hazard.import"]).exists()

    page = client.get(f"/imports/{job.pk}/").content.decode()
    for text in ("第 102 行", "第 502 行", "第 1000 行", "不属于“商务”领域", "失败", 'href="/hazards/import/"'):
        assert text in page
    assert "every 1s" not in page  # finished: the page stops polling


def test_template_header_matches_the_importer_and_a_filled_template_imports(reference, users, login):
    from zhiben.hazards.tabular import HEADERS

    client = login(users["admin"])
    response = client.get("/hazards/import/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=UTF-8''" in response["Content-Disposition"]

    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:2] == ["隐患台账", "填写说明"]
    ws = wb["隐患台账"]
    assert tuple(c.value for c in ws[1]) == HEADERS
    # Dropdowns on the enum columns.
    by_column = {}
    for dv in ws.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            by_column[ws.cell(1, cell_range.min_col).value] = dv
    for header in ("隐患等级", "来源", "整改难度", "整改时限类型", "行业领域", "所属街道"):
        assert by_column[header].type == "list", header
        assert by_column[header].showErrorMessage, header
    options = wb["选项"]
    assert options.sheet_state == "hidden"
    option_values = {
        options.cell(1, c).value: [options.cell(r, c).value for r in range(2, options.max_row + 1)]
        for c in range(1, options.max_column + 1)
    }
    assert option_values["隐患等级"][:2] == ["一般隐患", "重大隐患"]
    assert option_values["整改时限类型"][:2] == ["立即整改", "限期整改"]
    assert "商务" in option_values["行业领域"] and "北外滩街道" in option_values["所属街道"]
    assert "消防安全/占用堵塞消防通道" in option_values["隐患类别"]
    help_text = " ".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    for header in HEADERS:
        assert header in help_text
    assert "一般隐患、重大隐患" in help_text

    # Fill the template as a user would (real Excel dates and text dates) and import it.
    ws.append(
        [
            "商务",
            "消防安全/占用堵塞消防通道",
            "重大隐患",
            "自查",
            dt.datetime(2025, 3, 1),
            "通道堵塞",
            "后门堆物",
            "",
            "测试商场",
            "",
            "",
            "北外滩街道",
            "区商务委",
            "",
            "",
            "较难整改",
            "",
            "限期整改",
            dt.datetime(2025, 4, 1),
            "",
        ]
    )
    ws.append(
        [
            "商务",
            "灭火器材缺失或失效",
            "",
            "自查",
            "2025/3/2",
            "缺灭火器",
            "二楼缺灭火器",
            "",
            "测试商场",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "立即整改",
            "",
            "",
        ]
    )
    ws.append(
        [
            "建筑施工",
            "高处坠落",
            "",
            "监督检查",
            "2025年3月3日",
            "临边无防护",
            "三层临边无防护",
            "",
            "江湾工地",
            "",
            "",
            "江湾镇街道",
            "区建管委",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    out = io.BytesIO()
    wb.save(out)

    response = post_file(client, out.getvalue())

    job = last_job()
    assert job.status == ImportStatus.DONE, job.errors
    assert job.created_count == 3
    first, second, third = Hazard.objects.order_by("pk")
    assert (first.level, first.difficulty, first.found_on, first.deadline) == (
        "major",
        "hard",
        dt.date(2025, 3, 1),
        dt.date(2025, 4, 1),
    )
    assert (second.found_on, second.deadline_kind, second.deadline) == (
        dt.date(2025, 3, 2),
        "immediate",
        dt.date(2025, 3, 2),
    )
    assert second.owner.code == "hk-swj"  # 行业主管部门 left blank: the sector's department
    assert (second.level, second.difficulty) == ("general", "easy")
    assert second.finder == users["admin"]
    assert (third.found_on, third.owner.code, third.street.code) == (dt.date(2025, 3, 3), "hk-jgw", "hk-jwz")


def test_job_page_shows_the_result_with_a_link_to_the_ledger(reference, users, login, kit):
    client = login(users["street"])
    post_file(client, kit.workbook_bytes([kit.good_row(1), kit.good_row(2)]))
    job = last_job()

    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "成功导入 2 条隐患" in page
    assert 'href="/hazards/"' in page and "查看隐患台账" in page
    partial = client.get(f"/imports/{job.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert "成功导入 2 条隐患" in partial and "every 1s" not in partial and "<html" not in partial


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "文件不是有效的 Excel（.xlsx）文件"),
        ("notes.xlsx", "隐患,单位\n堵塞,商场\n".encode(), "文件不是有效的 Excel（.xlsx）文件"),
        ("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 .xls"),
        ("empty.xlsx", b"", "文件为空"),
    ],
    ids=["png", "txt", "xls", "empty"],
)
def test_files_that_are_not_xlsx_are_refused_before_any_job(reference, users, login, name, data, message):
    client = login(users["officer"])
    response = post_file(client, data, name)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ImportJob.objects.count() == 0 and Hazard.objects.count() == 0


def test_a_zip_that_is_not_a_workbook_is_refused(reference, users, login):
    import zipfile

    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    client = login(users["officer"])
    response = post_file(client, plain_zip.getvalue())
    assert response.status_code == 422 and "文件不是有效的 Excel（.xlsx）文件" in response.content.decode()
    assert ImportJob.objects.count() == 0

    # Looks like an .xlsx from the outside but openpyxl cannot read it: the job fails, nothing imported.
    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "garbage")
    response = post_file(client, fake.getvalue())
    job = last_job()
    assert response.status_code == 302
    assert (job.status, job.message, job.created_count) == (ImportStatus.FAILED, "文件不是有效的 Excel（.xlsx）文件", 0)
    assert Hazard.objects.count() == 0


def test_file_limits(reference, users, login, kit, settings):
    client = login(users["officer"])
    settings.ZHIBEN_IMPORT_MAX_BYTES = 1000
    response = post_file(client, kit.workbook_bytes([kit.good_row(1)]))
    assert response.status_code == 422 and "导入文件不能超过" in response.content.decode()
    assert ImportJob.objects.count() == 0

    settings.ZHIBEN_IMPORT_MAX_BYTES = 20 * 1024 * 1024
    settings.ZHIBEN_IMPORT_MAX_ROWS = 5
    post_file(client, kit.workbook_bytes([kit.good_row(i) for i in range(6)]))
    assert last_job().message == "数据超过 5 行，请拆分后分批导入"

    post_file(client, kit.workbook_bytes([]))
    assert "文件中没有数据" in last_job().message

    post_file(client, kit.workbook_bytes([kit.good_row(1)], headers=["行业领域", "隐患类别", "发现日期"]))
    job = last_job()
    assert job.status == ImportStatus.FAILED and job.message.startswith("表头缺少以下列：隐患等级、来源、")
    assert Hazard.objects.count() == 0


def test_rows_for_owners_the_user_may_not_create_for_are_refused_by_row(reference, users, login, kit):
    rows = [
        kit.good_row(1),  # 北外滩: the street officer's own street — fine
        kit.good_row(2, 所属街道="江湾镇街道"),  # another street (row 3)
        kit.good_row(3, 所属街道="", 行业领域="建筑施工", 隐患类别="高处坠落", 行业主管部门="区建管委"),  # row 4
    ]
    street_client = login(users["street"])
    post_file(street_client, kit.workbook_bytes(rows))
    job = last_job()
    assert job.status == ImportStatus.FAILED
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "行业主管部门"), (4, "行业主管部门")]
    assert job.errors[0]["message"] == "您无权为行业主管部门“区商务委”、街道“江湾镇街道”登记隐患"
    assert job.errors[1]["message"] == "您无权为行业主管部门“区建管委”登记隐患"

    # A 区商务委 officer may not put hazards on 区建管委's ledger either.
    post_file(login(users["officer"]), kit.workbook_bytes(rows))
    assert [(e["row"], e["column"]) for e in last_job().errors] == [(4, "行业主管部门")]
    assert Hazard.objects.count() == 0


@pytest.mark.parametrize("role", ["enterprise", "expert", "readonly"])
def test_only_district_department_and_street_staff_may_import(reference, users, login, kit, role):
    client = login(users[role])
    assert client.get(IMPORT_URL).status_code == 403
    assert post_file(client, kit.workbook_bytes([kit.good_row(1)])).status_code == 403
    assert ImportJob.objects.count() == 0
    assert AuditEvent.objects.filter(action="access.denied", actor=users[role]).count() == 2


@pytest.mark.parametrize("role", ["admin", "leader", "officer", "section", "street"])
def test_import_page_for_those_who_may(reference, users, login, role):
    page = login(users[role]).get(IMPORT_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "批量导入隐患" in html and "/hazards/import/template/" in html and 'enctype="multipart/form-data"' in html


def test_every_problem_of_a_row_is_reported_in_chinese_naming_the_column(reference, users, login, kit):
    from zhiben.core.testing import make_uscc

    bad_uscc = make_uscc(5)[:-1] + ("0" if make_uscc(5)[-1] != "0" else "1")
    rows = [
        kit.good_row(0, 隐患简述="", 隐患内容=" ", 责任单位名称=None),  # row 2
        kit.good_row(1, 统一社会信用代码=bad_uscc, 隐患等级="严重", 来源="网上"),  # row 3
        kit.good_row(2, 行业领域="农业", 所属街道="火星街道"),  # row 4
        kit.good_row(3, 所属街道="区商务委", 行业主管部门="不存在的局"),  # row 5
        kit.good_row(4, 隐患类别="消防安全"),  # not a leaf (row 6)
        kit.good_row(
            5, 行业领域="国动（人防工程、地下空间）", 隐患类别="安全出口或疏散楼梯不足", 行业主管部门="区国动办"
        ),  # two leaves of that name fit 国动 (row 7)
        kit.good_row(6, 隐患简述="长" * 121, 整改时限类型="马上"),  # row 8
        kit.good_row(7, 发现日期="2999-01-01", 整改期限="明天"),  # row 9
        kit.good_row(8, 隐患类别="不存在的类别", 发现日期=None),  # row 10
    ]
    post_file(login(users["admin"]), kit.workbook_bytes(rows))
    job = last_job()
    got = {(e["row"], e["column"]): e["message"] for e in job.errors}
    expected = {
        (2, "隐患简述"): "请填写隐患简述",
        (2, "隐患内容"): "请填写隐患内容",
        (2, "责任单位名称"): "请填写责任单位名称",
        (3, "统一社会信用代码"): "统一社会信用代码校验位错误",
        (3, "隐患等级"): "隐患等级“严重”无效，可选：一般隐患、重大隐患",
        (3, "来源"): "来源“网上”无效，可选：自查、监督检查、第三方排查、举报、执法、回头看、其他",
        (4, "所属街道"): "所属街道“火星街道”不存在",
        (5, "所属街道"): "“区商务委”不是街道",
        (5, "行业主管部门"): "行业主管部门“不存在的局”不存在或有重名（科室请写“部门/科室”）",
        (6, "隐患类别"): "“消防安全”不是末级类别，请填写具体的隐患类别",
        (8, "隐患简述"): "隐患简述不能超过 120 个字（现为 121 个字）",
        (8, "整改时限类型"): "整改时限类型“马上”无效，可选：立即整改、限期整改",
        (9, "整改期限"): "整改期限“明天”不是有效日期（可填 2025-03-01、2025/3/1 或 2025年3月1日）",
        (10, "隐患类别"): "隐患类别“不存在的类别”不存在（见模板“填写说明”中的类别表）",
        (10, "发现日期"): "请填写发现日期",
    }
    for key, message in expected.items():
        assert got.get(key) == message, key
    assert got[(4, "行业领域")].startswith("行业领域“农业”不存在，可选：")
    assert got[(7, "隐患类别")].startswith("隐患类别“安全出口或疏散楼梯不足”有重名，请写成“上级/下级”")
    assert got[(9, "发现日期")].startswith("发现日期 2999-01-01 晚于今天")
    assert {row for row, _ in got} == set(range(2, 11))
    assert Hazard.objects.count() == 0


def test_dates_as_excel_dates_serials_and_text(reference, users, login, kit):
    values = [
        dt.datetime(2025, 3, 1),
        dt.date(2025, 3, 1),
        "2025/3/1",
        "2025年3月1日",
        "2025-03-01",
        " 2025.3.1 ",
        45717,
        20250301,
        "2025-03-01 00:00:00",
    ]
    rows = [kit.good_row(i, 发现日期=value, 整改期限=None) for i, value in enumerate(values)]
    post_file(login(users["officer"]), kit.workbook_bytes(rows))
    job = last_job()
    assert job.status == ImportStatus.DONE, job.errors
    assert set(Hazard.objects.values_list("found_on", flat=True)) == {dt.date(2025, 3, 1)}


def test_registered_unit_is_linked_by_uscc_and_names_may_be_aliases(reference, users, units, login, kit):
    rows = [
        kit.good_row(
            1, 统一社会信用代码=units["commerce"].uscc.lower(), 所属街道="", 地址="", 行业主管部门="虹口区商务委员会"
        ),
        kit.good_row(2, 行业主管部门="区商务委/市场管理科", 隐患类别=" 消防安全 ／ 占用堵塞消防通道 "),
    ]
    post_file(login(users["street"]), kit.workbook_bytes(rows))
    job = last_job()
    assert job.status == ImportStatus.DONE, job.errors
    linked, section = Hazard.objects.order_by("pk")
    assert linked.unit == units["commerce"] and linked.unit_uscc == units["commerce"].uscc
    assert linked.street.code == "hk-bwt" and linked.address == units["commerce"].address  # from the registry
    assert section.owner.code == "hk-swj-scglk"


def test_the_stored_upload_is_deleted_when_the_job_ends(reference, users, login, kit):
    from django.core.files.storage import default_storage

    client = login(users["officer"])
    post_file(client, kit.workbook_bytes([kit.good_row(1)]))
    post_file(client, kit.workbook_bytes([kit.good_row(2, 发现日期="x")]))
    assert [job.stored_name for job in ImportJob.objects.all()] == ["", ""]
    assert default_storage.listdir("imports")[1] == []


def test_an_export_can_be_imported_again(reference, users, login, kit):
    client = login(users["officer"])
    post_file(client, kit.workbook_bytes([kit.good_row(i) for i in range(3)]))
    exported = b"".join(client.get("/hazards/export/").streaming_content)

    post_file(client, exported, "隐患台账_导出.xlsx")

    job = last_job()
    assert job.status == ImportStatus.DONE, job.errors
    assert Hazard.objects.count() == 6
    assert Hazard.objects.filter(title="消防通道堵塞 2").count() == 2


def test_refusals_by_the_service_while_writing_roll_back_the_whole_file(reference, users, login, kit, monkeypatch):
    from zhiben.core.errors import PermissionDeniedError, ValidationFailed
    from zhiben.hazards import services

    real = services.hazard_create

    def hazard_create(*, actor, data, **kwargs):
        if data["title"] == "消防通道堵塞 2":
            raise ValidationFailed("隐患信息有误", details={"deadline": "整改中的隐患须有整改时限"})
        if data["title"] == "消防通道堵塞 3":
            raise PermissionDeniedError("您不能为该主管部门、街道或单位登记隐患")
        return real(actor=actor, data=data, **kwargs)

    monkeypatch.setattr(services, "hazard_create", hazard_create)
    post_file(login(users["officer"]), kit.workbook_bytes([kit.good_row(i) for i in range(5)]))

    job = last_job()
    assert job.status == ImportStatus.FAILED
    assert job.errors == [
        {"row": 4, "column": "整改期限", "message": "整改中的隐患须有整改时限"},
        {"row": 5, "column": "行业主管部门", "message": "您不能为该主管部门、街道或单位登记隐患"},
    ]
    assert Hazard.objects.count() == 0
    assert not AuditEvent.objects.filter(action__in=["hazard.create", "hazard.import"]).exists()


def test_third_level_categories_can_be_imported(reference, users, login, kit):
    row = kit.good_row(1, 行业领域="道路交通", 隐患类别="道路交通设施/事故多发点段", 行业主管部门="区公安分局")
    post_file(login(users["admin"]), kit.workbook_bytes([row]))
    job = last_job()
    assert job.status == ImportStatus.DONE, job.errors
