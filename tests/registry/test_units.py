"""Units: 统一社会信用代码 check character in the service and the form, the
owner taken from the sector, who may create and edit, phone numbers
encrypted at rest and masked per viewer (page and API), one audit row per
change."""

from __future__ import annotations

import pytest
from django.db import connection

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.core.testing import make_uscc
from zhiben.registry import services
from zhiben.registry.forms import UnitForm
from zhiben.registry.models import Tag, Unit

pytestmark = pytest.mark.django_db

VALID = make_uscc(77)
BAD_CHECK = VALID[:17] + ("0" if VALID[17] != "0" else "1")


def test_create_with_valid_uscc_and_details_writes_one_audit_row(users, orgs, reference, audit_rows):
    before = audit_rows()
    unit = services.unit_create(
        actor=users["admin"],
        name=" 虹口餐饮公司 ",
        uscc=VALID.lower(),
        street=orgs["hk-bwt"],
        sector=reference["sectors"]["commerce"],
        tags=[Tag.objects.get(code="crowded")],
        safety_contact_phone="13812345678",
    )
    assert unit.name == "虹口餐饮公司" and unit.uscc == VALID
    assert unit.owner == orgs["hk-swj"]  # from the sector
    assert list(unit.tags.values_list("code", flat=True)) == ["crowded"]
    assert audit_rows() == before + 1
    event = AuditEvent.objects.latest("id")
    assert event.action == "unit.create"
    assert event.after["safety_contact_phone"] == "138****5678"
    assert "13812345678" not in str(event.after)


@pytest.mark.parametrize(
    ("code", "message"),
    [(BAD_CHECK, "校验位错误"), (VALID[:17], "应为18位"), (VALID[:16] + "I" + VALID[17], "非法字符")],
)
def test_invalid_uscc_is_refused_by_service_and_form(users, orgs, code, message, audit_rows):
    before = audit_rows()
    with pytest.raises(ValidationFailed) as exc:
        services.unit_create(actor=users["admin"], name="某公司", uscc=code, owner=orgs["hk-swj"])
    assert message in exc.value.details["uscc"]
    assert not Unit.objects.filter(name="某公司").exists() and audit_rows() == before
    form = UnitForm(
        {
            "name": "某公司",
            "uscc": code,
            "insurance_status": "unknown",
            "standardization_level": "none",
            "license_status": "unknown",
        }
    )
    assert not form.is_valid() and message in form.errors["uscc"][0]


def test_duplicate_uscc_refused(users, units):
    with pytest.raises(ValidationFailed) as exc:
        services.unit_create(
            actor=users["admin"], name="重复", uscc=units["commerce"].uscc, owner=units["commerce"].owner
        )
    assert exc.value.details["uscc"] == "该统一社会信用代码已登记"


def test_department_creates_only_for_its_subtree(users, orgs, audit_rows):
    services.unit_create(actor=users["section"], name="市场管理科的单位", owner=orgs["hk-swj-scglk"])
    before = audit_rows()
    with pytest.raises(PermissionDeniedError):
        services.unit_create(actor=users["section"], name="建管委的单位", owner=orgs["hk-jgw"])
    assert audit_rows() == before + 1  # the refusal is on the record
    assert AuditEvent.objects.latest("id").action == "access.denied"
    with pytest.raises(PermissionDeniedError):
        services.unit_create(actor=users["street"], name="街道登记", owner=orgs["hk-bwt"])


def test_enterprise_may_only_edit_its_contacts(users, units, audit_rows):
    unit = units["commerce"]
    before = audit_rows()
    services.unit_update(actor=users["enterprise"], unit=unit, data={"safety_contact_phone": "021-65551234"})
    assert audit_rows() == before + 1
    with pytest.raises(PermissionDeniedError):
        services.unit_update(actor=users["enterprise"], unit=unit, data={"name": "改名"})
    with pytest.raises(PermissionDeniedError):
        services.unit_update(actor=users["street"], unit=unit, data={"safety_contact_phone": "13800000000"})
    unit.refresh_from_db()
    assert unit.name == "北外滩商场" and unit.safety_contact_phone == "021-65551234"


def test_update_without_change_writes_nothing(users, units, audit_rows):
    before = audit_rows()
    services.unit_update(actor=users["officer"], unit=units["commerce"], data={"name": "北外滩商场"})
    assert audit_rows() == before


def test_phone_is_encrypted_in_the_database(users, units):
    unit = units["commerce"]
    services.unit_update(
        actor=users["admin"], unit=unit, data={"legal_rep_phone": "13812345678", "safety_contact_phone": "13987654321"}
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_phone, safety_contact_phone FROM registry_unit WHERE id = %s", [unit.pk])
        raw_legal, raw_safety = cursor.fetchone()
    for raw, plain in ((raw_legal, "13812345678"), (raw_safety, "13987654321")):
        assert raw.startswith("fernet:") and plain not in raw
    assert raw_legal != raw_safety
    assert Unit.objects.get(pk=unit.pk).legal_rep_phone == "13812345678"


def test_bad_phone_refused(users, units):
    with pytest.raises(ValidationFailed) as exc:
        services.unit_update(actor=users["admin"], unit=units["commerce"], data={"legal_rep_phone": "call me"})
    assert "legal_rep_phone" in exc.value.details


@pytest.mark.parametrize(
    ("role", "clear"),
    [
        ("admin", True),
        ("leader", True),
        ("officer", True),
        ("enterprise", True),  # its own unit
        ("street", False),
    ],
)
def test_phone_masked_on_page_and_api_unless_allowed(users, units, login, role, clear):
    unit = units["commerce"]
    services.unit_update(actor=users["admin"], unit=unit, data={"safety_contact_phone": "13812345678"})
    client = login(users[role])
    html = client.get(f"/units/{unit.pk}/").content.decode()
    data = client.get(f"/api/v1/units/{unit.pk}").json()
    if clear:
        assert "13812345678" in html and data["safety_contact_phone"] == "13812345678" and not data["phones_masked"]
    else:
        assert "13812345678" not in html and "138****5678" in html
        assert data["safety_contact_phone"] == "138****5678" and data["phones_masked"]


def test_readonly_and_expert_see_masked(users, units, orgs, login):
    unit = services.unit_create(
        actor=users["admin"], name="环保企业", owner=orgs["hk-sthjj"], legal_rep_phone="13700001111"
    )
    data = login(users["readonly"]).get(f"/api/v1/units/{unit.pk}").json()
    assert data["legal_rep_phone"] == "137****1111"
    site_unit = units["construction"]
    services.unit_update(actor=users["admin"], unit=site_unit, data={"legal_rep_phone": "13700002222"})
    assert login(users["expert"]).get(f"/api/v1/units/{site_unit.pk}").json()["legal_rep_phone"] == "137****2222"


def test_create_page_and_edit_page(users, orgs, reference, login):
    client = login(users["officer"])
    form = {
        "name": "新登记超市",
        "uscc": VALID,
        "sector": reference["sectors"]["commerce"].pk,
        "street": orgs["hk-bwt"].pk,
        "insurance_status": "insured",
        "insurance_expiry": "2027-01-31",
        "standardization_level": "level3",
        "license_status": "not_required",
        "tags": [Tag.objects.get(code="key_unit").pk],
        "legal_rep_phone": "13812345678",
    }
    response = client.post("/units/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(uscc=VALID)
    assert unit.owner == orgs["hk-swj"] and unit.tags.get().code == "key_unit"
    bad = client.post("/units/new/", {**form, "uscc": BAD_CHECK})
    assert bad.status_code == 422 and "校验位错误" in bad.content.decode()
    response = client.post(f"/units/{unit.pk}/edit/", {**form, "name": "新登记超市（改）", "reason": "更名"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.name == "新登记超市（改）"
    assert login(users["enterprise"]).get(f"/units/{unit.pk}/edit/").status_code == 404


def test_enterprise_edit_page_has_contact_fields_only(users, units, login):
    client = login(users["enterprise"])
    page = client.get(f"/units/{units['commerce'].pk}/edit/").content.decode()
    assert 'name="safety_contact_phone"' in page and 'name="uscc"' not in page
    response = client.post(f"/units/{units['commerce'].pk}/edit/", {"safety_contact_name": "新联系人"})
    assert response.status_code == 302
    assert Unit.objects.get(pk=units["commerce"].pk).safety_contact_name == "新联系人"


def test_api_create_unit(users, orgs, reference, login):
    client = login(users["officer"])
    payload = {
        "name": "API单位",
        "uscc": VALID,
        "sector": "commerce",
        "tags": ["crowded"],
        "legal_rep_phone": "13811112222",
    }
    response = client.post("/api/v1/units", payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["owner"]["id"] == orgs["hk-swj"].pk and response.json()["tags"] == ["crowded"]
    bad = client.post("/api/v1/units", {**payload, "uscc": BAD_CHECK}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["details"]["uscc"] == "统一社会信用代码校验位错误"
    unknown = client.post("/api/v1/units", {**payload, "colour": "red"}, content_type="application/json")
    assert unknown.status_code == 422
    denied = client.post(
        "/api/v1/units", {"name": "建管委的", "owner_id": orgs["hk-jgw"].pk}, content_type="application/json"
    )
    assert denied.status_code == 403


def test_dossier_shows_the_units_tips_without_reporter_data(users, units, login, orgs):
    from zhiben.hazards.reference import load_files
    from zhiben.tips.services import tip_submit

    load_files()
    unit = units["commerce"]
    tip, _ = tip_submit(
        actor=users["officer"],
        data={
            "channel": "12345",
            "text": "商场消防通道被占用，多次反映未整改",
            "place": "一层",
            "unit": unit,
            "reporter_name": "王举报",
            "reporter_phone": "13912345678",
            "external_ref": "12345-0001",
        },
    )
    html = login(users["officer"]).get(f"/units/{unit.pk}/").content.decode()
    assert 'data-testid="unit-inspections"' in html and 'data-testid="unit-tips"' in html
    assert tip.number in html
    assert "王举报" not in html and "13912345678" not in html
