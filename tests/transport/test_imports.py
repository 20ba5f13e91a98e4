"""Excel imports of the register: a clean file lands whole with one audit row; any bad
row fails the file with every bad row named and nothing written; exports import again."""

from __future__ import annotations

import datetime as dt
import io

from zhiben.audit.models import AuditEvent
from zhiben.transport.models import Driver, RiderViolation, Vehicle, Violation


def _workbook(sheet_name: str, header: list[str], rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h, "") for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(actor, kind: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiben.imports.services import start_import

    upload = SimpleUploadedFile("x.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return start_import(actor=actor, kind=kind, upload=upload)


VEHICLE_HEADER = ["统一社会信用代码", "车牌号码", "车辆类型", "状态", "下次年检日期", "保险到期日", "备注"]


def test_vehicle_import_lands_whole_with_one_audit_row(fleet, sync_imports):
    row = {
        "统一社会信用代码": fleet["coach"].uscc,
        "车牌号码": "沪B12345",
        "车辆类型": "旅游包车",
        "下次年检日期": "2027-03-01",
    }
    job = _import(
        fleet["coach_user"],
        "transport_vehicles",
        _workbook(
            "车辆",
            VEHICLE_HEADER,
            [row, {**row, "车牌号码": "沪AD12345", "车辆类型": "网约车", "状态": "停运", "下次年检日期": ""}],
        ),
    )
    assert job.status == "done", job.errors
    vehicles = {v.plate: v for v in Vehicle.objects.all()}
    assert vehicles["沪B12345"].inspection_due == dt.date(2027, 3, 1)
    assert vehicles["沪AD12345"].status == "suspended" and vehicles["沪AD12345"].vehicle_type == "ride_hailing"
    event = AuditEvent.objects.get(action="transport.vehicle_import")
    assert event.after["created"] == 2 and event.after["job"] == job.pk


def test_vehicle_import_names_every_bad_row_and_writes_nothing(fleet, make_vehicle, sync_imports):
    make_vehicle(fleet["coach"], plate="沪B00001")
    good = {"统一社会信用代码": fleet["coach"].uscc, "车牌号码": "沪B12345", "车辆类型": "旅游包车"}
    job = _import(
        fleet["coach_user"],
        "transport_vehicles",
        _workbook(
            "车辆",
            VEHICLE_HEADER,
            [
                good,
                {**good, "车牌号码": "沪I12345"},
                {**good, "车牌号码": "沪B12346", "车辆类型": "飞船"},
                {**good, "车牌号码": "沪B12347", "统一社会信用代码": fleet["muck"].uscc},
                {**good, "车牌号码": "沪B 12345"},
                {**good, "车牌号码": "沪B00001"},
                {**good, "车牌号码": "沪B12348", "保险到期日": "明天"},
            ],
        ),
    )
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (3, "车牌号码"),
        (4, "车辆类型"),
        (5, "统一社会信用代码"),
        (6, "车牌号码"),
        (7, "车牌号码"),
        (8, "保险到期日"),
    }
    assert Vehicle.objects.count() == 1


DRIVER_HEADER = ["统一社会信用代码", "姓名", "身份证号码", "联系电话", "准驾车型", "驾驶证有效期至", "记分", "状态"]


def test_driver_import_and_its_export_round_trip(fleet, login, sync_imports):
    rows = [
        {
            "统一社会信用代码": fleet["coach"].uscc,
            "姓名": "王建国",
            "身份证号码": "310109198003150015",
            "联系电话": "13916612345",
            "准驾车型": "A1",
            "记分": 3,
        },
        {"统一社会信用代码": fleet["coach"].uscc, "姓名": "李卫东", "准驾车型": "A1 大型客车", "记分": ""},
    ]
    job = _import(fleet["coach_user"], "transport_drivers", _workbook("驾驶员", DRIVER_HEADER, rows))
    assert job.status == "done", job.errors
    assert Driver.objects.get(name="王建国").points == 3 and Driver.objects.get(name="李卫东").points == 0
    bad = _import(
        fleet["coach_user"],
        "transport_drivers",
        _workbook(
            "驾驶员",
            DRIVER_HEADER,
            [{**rows[0], "身份证号码": "310109********0015"}, {**rows[1], "记分": 13}, {**rows[1], "准驾车型": "Z"}],
        ),
    )
    assert bad.status == "failed"
    assert {(e["row"], e["column"]) for e in bad.errors} == {(2, "身份证号码"), (3, "记分"), (4, "准驾车型")}
    response = login(fleet["coach_user"]).get("/transport/drivers/export/")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    again = _import(fleet["coach_user"], "transport_drivers", content)
    assert again.status == "done", again.errors
    copies = [d.id_number for d in Driver.objects.filter(name="王建国")]  # encrypted: compared in Python
    assert copies == ["310109198003150015", "310109198003150015"]


VIOLATION_HEADER = ["车牌号码", "驾驶员姓名", "统一社会信用代码", "违法日期", "违法行为", "记分", "来源", "备注"]


def test_violation_import_marks_the_job_and_checks_rights(fleet, make_vehicle, make_driver, sync_imports, today):
    make_vehicle(fleet["coach"], plate="沪B12345")
    make_driver(fleet["coach"], name="王建国")
    make_vehicle(fleet["muck"], plate="沪D34567", vehicle_type="muck_truck")
    day = today.isoformat()
    rows = [
        {
            "车牌号码": "沪B12345",
            "驾驶员姓名": "王建国",
            "违法日期": day,
            "违法行为": "超速",
            "记分": 3,
            "来源": "公安交警",
        },
        {
            "驾驶员姓名": "王建国",
            "统一社会信用代码": fleet["coach"].uscc,
            "违法日期": day,
            "违法行为": "酒驾",
            "记分": 12,
            "来源": "公安交警",
        },
    ]
    job = _import(fleet["police"], "transport_violations", _workbook("违法记录", VIOLATION_HEADER, rows))
    assert job.status == "done", job.errors
    assert set(Violation.objects.values_list("import_job", flat=True)) == {job.pk}
    assert Violation.objects.filter(kind="drunk", vehicle=None).get().driver.name == "王建国"
    bad = _import(
        fleet["coach_user"],
        "transport_violations",
        _workbook(
            "违法记录",
            VIOLATION_HEADER,
            [
                {**rows[0], "来源": "企业自查"},
                rows[0],
                {**rows[0], "车牌号码": "沪D34567", "驾驶员姓名": "", "来源": "企业自查"},
                {**rows[0], "驾驶员姓名": "张三", "来源": "企业自查"},
                {"违法日期": day, "违法行为": "超速", "来源": "企业自查"},
                {**rows[0], "违法日期": (today + dt.timedelta(days=2)).isoformat(), "来源": "企业自查"},
            ],
        ),
    )
    assert bad.status == "failed"
    assert {(e["row"], e["column"]) for e in bad.errors} == {
        (3, "来源"),
        (4, "车牌号码"),
        (5, "驾驶员姓名"),
        (6, "车牌号码"),
        (7, "违法日期"),
    }
    assert Violation.objects.count() == 2


RIDER_HEADER = ["平台/站点名称", "骑手姓名", "违法日期", "违法行为", "处理结果"]


def test_rider_import_splits_platform_and_station_and_refuses_duplicates(fleet, users, sync_imports, today):
    day = today.isoformat()
    rows = [
        {
            "平台/站点名称": "美团/北外滩站",
            "骑手姓名": "张三",
            "违法日期": day,
            "违法行为": "闯红灯",
            "处理结果": "罚款20元",
        },
        {"平台/站点名称": "饿了么／四川北路站", "骑手姓名": "李四", "违法日期": day, "违法行为": "逆行"},
    ]
    job = _import(fleet["police"], "transport_riders", _workbook("骑手违法", RIDER_HEADER, rows))
    assert job.status == "done", job.errors
    assert set(RiderViolation.objects.values_list("platform", "station", "import_job")) == {
        ("美团", "北外滩站", job.pk),
        ("饿了么", "四川北路站", job.pk),
    }
    assert AuditEvent.objects.get(action="transport.rider_import").after["created"] == 2
    again = _import(
        fleet["police"],
        "transport_riders",
        _workbook(
            "骑手违法",
            RIDER_HEADER,
            [
                rows[0],
                {**rows[1], "骑手姓名": "王五"},
                {**rows[1], "骑手姓名": "王五"},
                {**rows[1], "平台/站点名称": "美团"},
            ],
        ),
    )
    assert again.status == "failed"
    assert {(e["row"], e["column"]) for e in again.errors} == {(2, "骑手姓名"), (4, "骑手姓名"), (5, "平台/站点名称")}
    assert RiderViolation.objects.count() == 2


def test_import_pages_and_rights(fleet, users, login):
    assert login(fleet["coach_user"]).get("/transport/vehicles/import/").status_code == 200
    assert login(fleet["coach_user"]).get("/transport/vehicles/import/template/").status_code == 200
    assert login(users["street"]).get("/transport/vehicles/import/").status_code == 403
    assert login(fleet["coach_user"]).get("/transport/riders/import/").status_code == 403
    assert login(fleet["police"]).get("/transport/riders/import/template/").status_code == 200


def test_exports_follow_filters_and_scope(fleet, make_vehicle, make_driver, make_violation, login):
    from openpyxl import load_workbook

    bus = make_vehicle(fleet["coach"], plate="沪B12345")
    make_vehicle(fleet["muck"], plate="沪D34567", vehicle_type="muck_truck")
    make_violation(vehicle=bus, kind="fatigue")

    def plates(user, url, **params):
        response = login(user).get(url, params)
        assert response.status_code == 200, response.content[:300]
        content = b"".join(response.streaming_content) if response.streaming else response.content
        rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
        return [row[2] if url.endswith("vehicles/export/") else row[1] for row in rows[1:]]

    assert plates(fleet["police"], "/transport/vehicles/export/", vehicle_type="muck_truck") == ["沪D34567"]
    assert plates(fleet["coach_user"], "/transport/vehicles/export/") == ["沪B12345"]
    assert plates(fleet["muck_user"], "/transport/violations/export/") == []
    assert plates(fleet["police"], "/transport/violations/export/", kind="fatigue") == ["沪B12345"]
    assert login(fleet["police"]).get("/transport/vehicles/export/", {"status": "lost"}).status_code == 400
    assert AuditEvent.objects.filter(action="transport.vehicle_export").count() == 2
