"""有限空间作业: the register of a unit's confined spaces and their 作业审批
(services, rights, audit, scope, pages, API, Excel export)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.core.testing import make_uscc, make_user
from zhiben.org.choices import Role
from zhiben.registry import access, services
from zhiben.registry.models import ConfinedSpace, ConfinedSpaceWorkPermit, Unit

GOOD_GAS = {"oxygen_pct": "20.9", "lel_pct": "0", "h2s_ppm": "0", "co_ppm": "2"}


def _space(actor, unit, **data) -> ConfinedSpace:
    return services.confined_space_create(
        actor=actor,
        data={"unit": unit, "name": "1号污水井", "code": "YX-01", "space_type": "underground", **data},
    )


def _permit_data(**data) -> dict:
    return {
        "work_date": timezone.localdate(),
        "start_time": dt.time(9, 0),
        "end_time": dt.time(11, 30),
        "content": "清淤",
        "contractor": "某某环境工程公司",
        "approver_name": "王经理",
        "guardian_name": "李师傅",
        **GOOD_GAS,
        "approved": True,
        **data,
    }


@pytest.fixture
def other_unit(orgs) -> Unit:
    """A unit of 区商务委 too (same owner as units["commerce"]), in another 街道."""
    return Unit.objects.create(name="另一家商场", uscc=make_uscc(3), street=orgs["hk-jwz"], owner=orgs["hk-swj"])


# --- Services -----------------------------------------------------------------------------


def test_enterprise_user_registers_its_own_space_with_one_audit_row(users, units):
    before = AuditEvent.objects.count()
    space = _space(users["enterprise"], units["commerce"], hazards=["poisoning", "anoxia", "poisoning"])
    assert space.hazards == ["anoxia", "poisoning"]  # fixed order, no repeats
    assert space.created_by == users["enterprise"]
    events = list(AuditEvent.objects.filter(pk__gt=before))
    assert [e.action for e in events] == ["confined.create"]
    assert events[0].object_id == str(space.pk) and events[0].after["name"] == "1号污水井"


def test_department_officer_of_the_owner_may_register_others_may_not(users, units, orgs):
    assert _space(users["officer"], units["commerce"]).unit == units["commerce"]
    for who in ("street", "expert", "readonly"):
        with pytest.raises(PermissionDeniedError):
            _space(users[who], units["commerce"])
    other_dept = make_user("t_jgw_officer", Role.DEPT_OFFICER, orgs["hk-jgw"])
    with pytest.raises(PermissionDeniedError):
        _space(other_dept, units["commerce"])
    with pytest.raises(PermissionDeniedError):  # an enterprise user for another unit
        _space(users["enterprise"], units["construction"])
    assert ConfinedSpace.objects.count() == 1


def test_bad_space_data_is_refused_in_chinese_and_nothing_is_written(users, units, reference):
    rows = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        _space(users["admin"], units["commerce"], name=" ", space_type="cave", hazards=["ghosts"], code="x" * 31)
    assert set(exc.value.details) == {"name", "space_type", "hazards", "code"}
    assert "请填写有限空间名称" in exc.value.message
    foreign_site = services.site_create(
        actor=users["admin"],
        data={"site_type": reference["types"]["commercial_complex"], "name": "别家场所", "unit": units["construction"]},
    )
    rows = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        _space(users["admin"], units["commerce"], site=foreign_site)
    assert "site" in exc.value.details
    assert ConfinedSpace.objects.count() == 0 and AuditEvent.objects.count() == rows


def test_update_is_audited_with_before_and_after_and_keeps_the_unit(users, units):
    space = _space(users["enterprise"], units["commerce"])
    services.confined_space_update(
        actor=users["enterprise"], space=space, data={"status": "disused", "has_warning_sign": True}, reason="封堵"
    )
    space.refresh_from_db()
    assert space.status == "disused" and space.has_warning_sign
    event = AuditEvent.objects.filter(action="confined.update").get()
    assert event.before["status"] == "in_use" and event.after["status"] == "disused" and event.reason == "封堵"
    with pytest.raises(ValidationFailed):
        services.confined_space_update(actor=users["admin"], space=space, data={"unit": units["construction"]})
    with pytest.raises(PermissionDeniedError):
        services.confined_space_update(actor=users["street"], space=space, data={"name": "改名"})
    space.refresh_from_db()
    assert space.unit == units["commerce"] and space.name == "1号污水井"


def test_permit_is_recorded_with_the_recorder_and_audited(users, units):
    space = _space(users["enterprise"], units["commerce"])
    permit = services.confined_permit_record(actor=users["enterprise"], space=space, data=_permit_data())
    assert permit.recorded_by == users["enterprise"] and permit.approved
    assert permit.oxygen_pct == Decimal("20.9")
    event = AuditEvent.objects.filter(action="confined.permit").get()
    assert event.object_id == str(space.pk) and event.after["permit"] == permit.pk


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("oxygen_pct", "101"),
        ("oxygen_pct", "-1"),
        ("lel_pct", "150"),
        ("h2s_ppm", "1001"),
        ("co_ppm", "abc"),
        ("co_ppm", "NaN"),
        ("h2s_ppm", None),
    ],
)
def test_gas_readings_out_of_range_are_refused(users, units, field, value):
    space = _space(users["admin"], units["commerce"])
    rows = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.confined_permit_record(actor=users["admin"], space=space, data=_permit_data(**{field: value}))
    assert field in exc.value.details
    assert not ConfinedSpaceWorkPermit.objects.exists() and AuditEvent.objects.count() == rows


@pytest.mark.parametrize(
    ("field", "value"), [("oxygen_pct", "18.0"), ("lel_pct", "10"), ("h2s_ppm", "8"), ("co_ppm", "30")]
)
def test_unsafe_readings_are_recorded_but_cannot_be_approved(users, units, field, value):
    space = _space(users["admin"], units["commerce"])
    with pytest.raises(ValidationFailed) as exc:
        services.confined_permit_record(actor=users["admin"], space=space, data=_permit_data(**{field: value}))
    assert "气体检测不合格" in exc.value.details["approved"]
    permit = services.confined_permit_record(
        actor=users["admin"], space=space, data=_permit_data(approved=False, **{field: value})
    )
    assert not permit.approved


def test_permit_times_people_and_status_are_checked(users, units):
    space = _space(users["admin"], units["commerce"])
    with pytest.raises(ValidationFailed) as exc:
        services.confined_permit_record(
            actor=users["admin"],
            space=space,
            data=_permit_data(end_time=dt.time(8, 0), guardian_name="", work_date=dt.date(2000, 1, 1)),
        )
    assert {"end_time", "guardian_name", "work_date"} <= set(exc.value.details)
    services.confined_space_update(actor=users["admin"], space=space, data={"status": "disused"})
    with pytest.raises(ValidationFailed) as exc:
        services.confined_permit_record(actor=users["admin"], space=space, data=_permit_data())
    assert "已停用" in exc.value.message
    with pytest.raises(PermissionDeniedError):
        services.confined_permit_record(actor=users["readonly"], space=space, data=_permit_data())
    assert not ConfinedSpaceWorkPermit.objects.exists()


# --- Scope --------------------------------------------------------------------------------


def test_scope_follows_the_unit(users, units, orgs, other_unit):
    mine = _space(users["admin"], units["commerce"])
    theirs = _space(users["admin"], units["construction"], name="储罐")
    other = _space(users["admin"], other_unit, name="料仓")
    seen = {who: set(access.visible_confined_spaces(users[who])) for who in users}
    assert seen["admin"] == {mine, theirs, other}
    assert seen["enterprise"] == {mine}
    assert seen["officer"] == {mine, other}
    assert seen["section"] == {mine, other}  # a 科室 sees its department's units
    assert seen["street"] == {mine}  # 北外滩
    assert theirs not in seen["readonly"]
    permit = services.confined_permit_record(actor=users["admin"], space=other, data=_permit_data())
    assert set(access.visible_confined_permits(users["enterprise"])) == set()
    assert set(access.visible_confined_permits(users["officer"])) == {permit}


# --- Pages --------------------------------------------------------------------------------


def test_pages_render_and_out_of_scope_is_404(users, units, login, other_unit):
    space = _space(users["enterprise"], units["commerce"], hazards=["anoxia"])
    services.confined_permit_record(actor=users["enterprise"], space=space, data=_permit_data(content="疏通管道"))
    theirs = _space(users["admin"], units["construction"], name="江湾泵房集水坑")
    client = login(users["enterprise"])
    page = client.get("/confined-spaces/")
    assert page.status_code == 200
    assert "1号污水井" in page.content.decode() and "江湾泵房集水坑" not in page.content.decode()
    detail = client.get(f"/confined-spaces/{space.pk}/").content.decode()
    assert "疏通管道" in detail and "缺氧窒息" in detail and "记录作业审批" in detail
    assert client.get(f"/confined-spaces/{theirs.pk}/").status_code == 404
    assert client.get(f"/confined-spaces/{theirs.pk}/edit/").status_code == 404
    assert login(users["readonly"]).get(f"/confined-spaces/{space.pk}/").status_code == 404
    other_dept = make_user("t_jgw_officer", Role.DEPT_OFFICER, orgs_of(units)["construction"])
    assert login(other_dept).get(f"/confined-spaces/{space.pk}/").status_code == 404
    assert login(users["admin"]).get(f"/confined-spaces/{theirs.pk}/").status_code == 200
    dossier = client.get(f"/units/{units['commerce'].pk}/").content.decode()
    assert f"/confined-spaces/{space.pk}/" in dossier and "有限空间（1）" in dossier
    assert client.get("/confined-spaces/", {"space_type": "aboveground"}).content.decode().count("1号污水井") == 0
    assert (
        "1号污水井"
        in client.get("/confined-spaces/", {"status": "in_use", "unit": units["commerce"].pk}).content.decode()
    )


def orgs_of(units):
    return {key: unit.owner for key, unit in units.items()}


def test_forms_create_edit_and_record_a_permit(users, units, login):
    client = login(users["enterprise"])
    page = client.get("/confined-spaces/new/")
    assert page.status_code == 200
    assert f'<option value="{units["commerce"].pk}" selected>' in page.content.decode()  # its own unit, chosen
    response = client.post(
        "/confined-spaces/new/",
        {
            "unit": units["commerce"].pk,
            "name": "化粪池",
            "space_type": "underground",
            "hazards": ["poisoning"],
            "status": "in_use",
            "has_warning_sign": "on",
        },
    )
    space = ConfinedSpace.objects.get(name="化粪池")
    assert response.status_code == 302 and space.hazards == ["poisoning"] and space.has_warning_sign
    # another unit is not among the choices: the form refuses it
    refused = client.post(
        "/confined-spaces/new/",
        {"unit": units["construction"].pk, "name": "x", "space_type": "underground", "status": "in_use"},
    )
    assert refused.status_code == 422 and ConfinedSpace.objects.count() == 1
    response = client.post(
        f"/confined-spaces/{space.pk}/edit/",
        {"name": "化粪池", "space_type": "underground", "status": "in_use", "location": "东侧", "reason": "补充位置"},
    )
    assert response.status_code == 302
    space.refresh_from_db()
    assert space.location == "东侧" and space.unit == units["commerce"]
    permit = {
        "work_date": timezone.localdate().isoformat(),
        "start_time": "09:00",
        "end_time": "10:00",
        "content": "清掏",
        "approver_name": "王",
        "guardian_name": "李",
        "oxygen_pct": "17.0",
        "lel_pct": "0",
        "h2s_ppm": "0",
        "co_ppm": "0",
        "approved": "on",
    }
    bad = client.post(f"/confined-spaces/{space.pk}/permits/new/", permit)
    assert bad.status_code == 422 and "气体检测不合格" in bad.content.decode()
    assert not ConfinedSpaceWorkPermit.objects.exists()
    ok = client.post(f"/confined-spaces/{space.pk}/permits/new/", {**permit, "oxygen_pct": "20.8"})
    assert ok.status_code == 302 and ConfinedSpaceWorkPermit.objects.get().recorded_by == users["enterprise"]
    assert login(users["street"]).get(f"/confined-spaces/{space.pk}/permits/new/").status_code == 403


def test_export_is_the_filtered_list_within_scope(users, units, login):
    from openpyxl import load_workbook

    space = _space(users["enterprise"], units["commerce"], hazards=["anoxia", "drowning"], has_warning_sign=True)
    services.confined_permit_record(actor=users["enterprise"], space=space, data=_permit_data())
    _space(users["enterprise"], units["commerce"], name="料仓A", code="YX-02", space_type="aboveground")
    _space(users["admin"], units["construction"], name="江湾储罐")
    response = login(users["enterprise"]).get("/confined-spaces/export/", {"space_type": "underground"})
    assert response.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("所属单位", "统一社会信用代码", "编号", "名称", "类型")
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["名称"] == "1号污水井" and row["类型"] == "地下有限空间"
    assert row["主要危险有害因素"] == "缺氧窒息、淹溺" and row["已设置安全警示标识"] == "是"
    assert row["作业审批次数"] == 1
    assert AuditEvent.objects.filter(action="confined.export").exists()


# --- API ----------------------------------------------------------------------------------


def test_api_create_list_detail_and_permit(users, units, login):
    client = login(users["enterprise"])
    body = {
        "unit_id": units["commerce"].pk,
        "name": "地下泵房",
        "code": "YX-09",
        "space_type": "underground",
        "hazards": ["anoxia", "poisoning"],
        "has_warning_sign": True,
    }
    created = client.post("/api/v1/confined-spaces", body, content_type="application/json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert ConfinedSpace.objects.get(pk=pk).created_by == users["enterprise"]
    permit = {
        "work_date": timezone.localdate().isoformat(),
        "start_time": "09:00",
        "end_time": "10:30",
        "content": "检修水泵",
        "approver_name": "王经理",
        "guardian_name": "李师傅",
        "oxygen_pct": "20.9",
        "lel_pct": "0.0",
        "h2s_ppm": "0.0",
        "co_ppm": "1.0",
        "approved": True,
    }
    recorded = client.post(f"/api/v1/confined-spaces/{pk}/permits", permit, content_type="application/json")
    assert recorded.status_code == 201, recorded.content
    assert recorded.json()["recorded_by"] == users["enterprise"].username
    _space(users["admin"], units["construction"], name="江湾储罐")
    listed = client.get("/api/v1/confined-spaces", {"space_type": "underground"}).json()
    assert [c["id"] for c in listed["items"]] == [pk]
    detail = client.get(f"/api/v1/confined-spaces/{pk}").json()
    assert detail["hazards"] == ["anoxia", "poisoning"] and detail["permits"][0]["content"] == "检修水泵"
    # a wall-clock time without an offset, declared so in the schema (JSON Schema's "time" wants one)
    assert detail["permits"][0]["start_time"] == "09:00"
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ConfinedPermitOut"]
    assert "format" not in schema["properties"]["start_time"] and "pattern" in schema["properties"]["start_time"]
    admin_list = login(users["admin"]).get("/api/v1/confined-spaces").json()
    assert len(admin_list["items"]) == 2


def test_api_bad_input_is_422_and_changes_nothing(users, units, login):
    client = login(users["enterprise"])
    space = _space(users["enterprise"], units["commerce"])
    rows = AuditEvent.objects.count()
    for bad in (
        {"unit_id": units["commerce"].pk, "name": "x", "space_type": "cave"},
        {"unit_id": units["commerce"].pk, "name": "x", "space_type": "underground", "hazards": ["ghosts"]},
        {"unit_id": units["commerce"].pk, "name": "x" * 101, "space_type": "underground"},
        {"unit_id": units["commerce"].pk, "name": " ", "space_type": "underground"},
        {"unit_id": units["commerce"].pk, "name": "x", "space_type": "underground", "extra": 1},
    ):
        response = client.post("/api/v1/confined-spaces", bad, content_type="application/json")
        assert response.status_code == 422, (bad, response.content)
    good_permit = {
        "work_date": timezone.localdate().isoformat(),
        "start_time": "09:00",
        "end_time": "10:00",
        "content": "清淤",
        "approver_name": "王",
        "guardian_name": "李",
        "oxygen_pct": "20.9",
        "lel_pct": "0",
        "h2s_ppm": "0",
        "co_ppm": "0",
    }
    for change in (
        {"oxygen_pct": "120"},
        {"h2s_ppm": "-1"},
        {"co_ppm": "5000"},
        {"lel_pct": "5.55"},
        {"end_time": "08:00"},
        {"oxygen_pct": "18", "approved": True},
    ):
        response = client.post(
            f"/api/v1/confined-spaces/{space.pk}/permits", {**good_permit, **change}, content_type="application/json"
        )
        assert response.status_code == 422, (change, response.content)
    assert ConfinedSpace.objects.count() == 1 and not ConfinedSpaceWorkPermit.objects.exists()
    assert (
        AuditEvent.objects.filter(pk__gt=rows).exclude(action__in=["access.denied", "transition.refused"]).count() == 0
    )


def test_api_out_of_scope_is_404(users, units, login, orgs):
    theirs = _space(users["admin"], units["construction"], name="江湾储罐")
    client = login(users["enterprise"])
    assert client.get(f"/api/v1/confined-spaces/{theirs.pk}").status_code == 404
    body = {"unit_id": units["construction"].pk, "name": "x", "space_type": "underground"}
    assert client.post("/api/v1/confined-spaces", body, content_type="application/json").status_code == 404
    same_dept = make_user("t_swj_officer2", Role.DEPT_OFFICER, orgs["hk-swj"])
    mine = _space(users["admin"], units["commerce"])
    assert login(same_dept).get(f"/api/v1/confined-spaces/{mine.pk}").status_code == 200
    assert login(users["expert"]).get(f"/api/v1/confined-spaces/{mine.pk}").status_code == 404
    assert not ConfinedSpace.objects.filter(name="x").exists()


# --- Import -------------------------------------------------------------------------------


def _workbook(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    from zhiben.registry.tabular.confined import CONFINED_HEADERS, CONFINED_SHEET

    book = Workbook()
    sheet = book.active
    sheet.title = CONFINED_SHEET
    sheet.append(["所属单位", *CONFINED_HEADERS])
    for row in rows:
        sheet.append([row.get("所属单位", ""), *(row.get(h, "") for h in CONFINED_HEADERS)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(actor, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhiben.imports.services import start_import

    upload = SimpleUploadedFile(
        "有限空间.xlsx", content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return start_import(actor=actor, kind="confined_spaces", upload=upload)


@pytest.fixture
def sync_imports(settings, tmp_path):
    settings.ZHIBEN_IMPORT_SYNC = True
    settings.MEDIA_ROOT = tmp_path / "media"


def test_import_creates_the_rows_with_one_audit_row(users, units, sync_imports):
    row = {
        "统一社会信用代码": units["commerce"].uscc,
        "名称": "污水井",
        "类型": "地下有限空间",
        "主要危险有害因素": "中毒、缺氧窒息",
        "已设置安全警示标识": "是",
        "状态": "在用",
    }
    job = _import(users["enterprise"], _workbook([row, {**row, "名称": "储罐", "类型": "aboveground", "状态": ""}]))
    assert job.status == "done", job.errors
    spaces = {s.name: s for s in ConfinedSpace.objects.all()}
    assert set(spaces) == {"污水井", "储罐"}
    assert spaces["污水井"].hazards == ["anoxia", "poisoning"] and spaces["污水井"].has_warning_sign
    assert spaces["储罐"].space_type == "aboveground" and spaces["储罐"].status == "in_use"
    event = AuditEvent.objects.get(action="confined.import")
    assert event.after["created"] == 2


def test_import_refuses_the_whole_file_for_one_bad_row(users, units, sync_imports):
    good = {"统一社会信用代码": units["commerce"].uscc, "名称": "污水井", "类型": "地下有限空间"}
    job = _import(
        users["enterprise"],
        _workbook(
            [
                good,
                {**good, "类型": "山洞"},
                {**good, "统一社会信用代码": units["construction"].uscc},
                {**good, "主要危险有害因素": "鬼怪"},
                {**good, "名称": "x" * 101},
            ]
        ),
    )
    assert job.status == "failed"
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (3, "类型"),
        (4, "统一社会信用代码"),
        (5, "主要危险有害因素"),
        (6, "名称"),
    }
    assert not ConfinedSpace.objects.exists()


def test_an_export_imports_again(users, units, login, sync_imports):
    _space(users["enterprise"], units["commerce"], hazards=["drowning"], has_warning_sign=True, location="东门")
    response = login(users["enterprise"]).get("/confined-spaces/export/")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    job = _import(users["enterprise"], content)
    assert job.status == "done", job.errors
    copies = list(ConfinedSpace.objects.order_by("pk").values_list("name", "location", "hazards", "has_warning_sign"))
    assert copies[0] == copies[1] == ("1号污水井", "东门", ["drowning"], True)
    assert login(users["enterprise"]).get("/confined-spaces/import/template/").status_code == 200
    assert login(users["street"]).get("/confined-spaces/import/").status_code == 403
