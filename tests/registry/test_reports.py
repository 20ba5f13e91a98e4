"""一企一档 (hazards, flags, documents with expiry warnings) and the 盲区 report."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from zhiben.core.errors import ConflictError, PermissionDeniedError
from zhiben.hazards import services as hazard_services
from zhiben.hazards.models import HazardCategory
from zhiben.registry import services
from zhiben.registry.models import Site, SiteType, Unit
from zhiben.registry.reports import blind_spots

pytestmark = pytest.mark.django_db


def photo(name="licence.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def test_unit_file_shows_its_hazards_only(users, units, orgs, reference, login):
    category = HazardCategory.objects.get(code="fire-tdzd")
    data = {
        "sector": reference["sectors"]["commerce"],
        "category": category,
        "level": "general",
        "source": "supervision",
        "difficulty": "easy",
        "found_on": dt.date(2026, 3, 1),
        "description": "疏散通道堆放纸箱",
        "owner": orgs["hk-swj"],
        "deadline_kind": "date",
    }
    mine = hazard_services.hazard_create(
        actor=users["admin"], data={**data, "title": "本单位通道堵塞", "unit": units["commerce"]}, allow_duplicate=True
    )
    other = hazard_services.hazard_create(
        actor=users["admin"],
        data={**data, "title": "别家通道堵塞", "unit": units["construction"], "owner": orgs["hk-jgw"]},
        allow_duplicate=True,
    )
    html = login(users["officer"]).get(f"/units/{units['commerce'].pk}/").content.decode()
    assert mine.code in html and "本单位通道堵塞" in html
    assert other.code not in html


def test_documents_with_expiry_warnings(users, units, login, audit_rows):
    unit = units["commerce"]
    today = timezone.localdate()
    before = audit_rows()
    expired = services.document_add(
        actor=users["officer"],
        unit=unit,
        kind="license",
        title="营业执照",
        file=photo(),
        expires_on=today - dt.timedelta(days=1),
    )
    soon = services.document_add(
        actor=users["enterprise"],
        unit=unit,
        kind="commitment",
        title="安全承诺书",
        file=photo("c.jpg"),
        expires_on=today + dt.timedelta(days=30),
    )
    later = services.document_add(
        actor=users["officer"],
        unit=unit,
        kind="insurance",
        title="安责险保单",
        file=photo("i.jpg"),
        expires_on=today + dt.timedelta(days=31),
    )
    assert audit_rows() == before + 3
    assert (expired.expiry_state(), soon.expiry_state(), later.expiry_state()) == ("expired", "expiring", "")
    with pytest.raises(PermissionDeniedError):
        services.document_add(actor=users["street"], unit=unit, kind="other", title="x", file=photo())
    client = login(users["officer"])
    html = client.get(f"/units/{unit.pk}/").content.decode()
    warnings = html[html.index('data-testid="expiry-warnings"') :].split("</div>\n</div>")[0]
    assert "营业执照" in warnings and "已过期" in warnings and "安全承诺书" in warnings and "安责险保单" not in warnings
    response = client.get(f"/units/{unit.pk}/documents/{expired.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert login(users["expert"]).get(f"/units/{unit.pk}/documents/{expired.pk}/").status_code == 404


def test_document_upload_page(users, units, login):
    client = login(users["enterprise"])
    response = client.post(
        f"/units/{units['commerce'].pk}/documents/",
        {"kind": "commitment", "title": "2026年安全承诺书", "expires_on": "2026-12-31", "file": photo()},
    )
    assert response.status_code == 302
    assert units["commerce"].documents.get().title == "2026年安全承诺书"


def test_flags_active_lift_and_audit(users, units, login, audit_rows):
    unit = units["construction"]
    today = timezone.localdate()
    before = audit_rows()
    flag = services.flag_add(
        actor=users["admin"], unit=unit, kind="no_award", reason="发生责任事故", start=today - dt.timedelta(days=10)
    )
    assert flag.end == services._one_year_after(today - dt.timedelta(days=10))  # 1年: to the day before
    assert list(unit.active_flags()) == [flag]
    ended = services.flag_add(
        actor=users["admin"],
        unit=unit,
        kind="key_supervision",
        reason="旧",
        start=today - dt.timedelta(days=30),
        end=today - dt.timedelta(days=1),
    )
    assert not ended.is_active() and ended not in unit.active_flags()
    edge = services.flag_add(
        actor=users["admin"],
        unit=unit,
        kind="abnormal",
        reason="今天到期",
        start=today - dt.timedelta(days=3),
        end=today,
    )
    assert edge.is_active()  # active while end >= today
    assert audit_rows() == before + 3
    services.flag_lift(actor=users["admin"], flag=flag, reason="复核撤销")
    flag.refresh_from_db()
    assert not flag.is_active() and audit_rows() == before + 4
    with pytest.raises(ConflictError):
        services.flag_lift(actor=users["admin"], flag=flag, reason="再次")
    with pytest.raises(PermissionDeniedError):
        services.flag_add(actor=users["expert"], unit=unit, kind="no_award", reason="x", start=today)
    html = login(users["admin"]).get(f"/units/{unit.pk}/").content.decode()
    assert "1年内不得评优表彰" in html and "已结束" in html


def test_blind_spot_report(users, orgs, units, make_site, login):
    Unit.objects.create(name="无主管小店", street=orgs["hk-bwt"])
    orphan = make_site("cold_storage", "无人管冷库", street=orgs["hk-bwt"])
    make_site("commercial_complex", "有主管商场", street=orgs["hk-bwt"])
    report = blind_spots(users["admin"])
    types = {t.code: n for t, n in report.site_types}
    assert types == {"cold_storage": 1, "ebike_charging": 0}
    assert [u.name for u in report.units] == ["无主管小店"]
    assert [s.name for s in report.sites] == ["无人管冷库"]
    # the street officer sees the orphans in its 街道; a department sees none
    assert [s.pk for s in blind_spots(users["street"]).sites] == [orphan.pk]
    assert blind_spots(users["officer"]).units == [] and blind_spots(users["officer"]).sites == []
    html = login(users["admin"]).get("/registry/blind-spots/").content.decode()
    assert "无人管冷库" in html and "无主管小店" in html and "电动自行车集中停放充电场所" in html
    html = login(users["admin"]).get("/units/", {"no_owner": "true"}).content.decode()
    assert "无主管小店" in html and units["commerce"].name not in html
    # assigning the type (as a new ownership.yaml would) removes it from the report
    SiteType.objects.filter(code="cold_storage").update(owner=orgs["hk-swj"])
    assert "cold_storage" not in {t.code for t, _ in blind_spots(users["admin"]).site_types}
    assert Site.objects.get(pk=orphan.pk).owner is None  # existing sites are not changed
