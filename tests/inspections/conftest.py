"""Fixtures of the inspection tests: reference data (sectors, categories,
site types, the checklists from data/checklists), sites, a campaign factory
and an inspection helper."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhiben.audit.models import AuditEvent
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.inspections import services
from zhiben.inspections.models import Checklist
from zhiben.registry import services as registry_services
from zhiben.registry.models import SiteType
from zhiben.registry.reference import load_files as load_registry_reference

DAY = dt.date(2026, 3, 10)


def photo(name: str = "found.jpg", color=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def reference(orgs):
    load_hazard_reference()
    load_registry_reference()
    services.load_files()
    return {c.code: c for c in Checklist.objects.all()}


@pytest.fixture
def sites(reference, users, orgs, units):
    types = {t.code: t for t in SiteType.objects.all()}
    admin = users["admin"]

    def site(type_code, name, **data):
        return registry_services.site_create(actor=admin, data={"site_type": types[type_code], "name": name, **data})

    return {
        "mall": site("commercial_complex", "北外滩商业广场", unit=units["commerce"], owner=orgs["hk-swj"]),
        "market": site("farmers_market", "三角地农贸市场", street=orgs["hk-bwt"], owner=orgs["hk-swj"]),
        "shelter": site(
            "civil_air_defense",
            "虹口公园人防工程",
            street=orgs["hk-oyl"],
            attributes={"category": "公用人防工程", "usage": "在用"},
        ),
        "idle": site(
            "civil_air_defense",
            "闲置人防工程",
            street=orgs["hk-oyl"],
            attributes={"category": "公用人防工程", "usage": "闲置"},
        ),
        "works": site("construction_site", "江湾工地项目", unit=units["construction"]),
    }


@pytest.fixture
def make_campaign(users, orgs, reference):
    def make(**overrides):
        data = {
            "name": "商业场所消防检查",
            "owner": orgs["hk-swj"],
            "method": "random",
            "period_start": dt.date(2026, 1, 1),
            "period_end": dt.date(2026, 12, 31),
            "checklist": reference["gb35181-2017"],
            "target": {"site_types": ["commercial_complex", "farmers_market"]},
        }
        data.update(overrides)
        return services.campaign_create(actor=overrides.pop("actor", users["admin"]), data=data)

    return make


@pytest.fixture
def answers_for():
    """answers_for(version, fail={code: note}, na=[codes]) -> answers list."""

    def make(version, fail=None, na=(), photos=None):
        fail = fail or {}
        rows = []
        for item in version.items.all():
            result = "fail" if item.code in fail else "na" if item.code in na else "pass"
            row = {"item": item, "result": result, "note": fail.get(item.code, "")}
            if photos and item.code in photos:
                row["photos"] = photos[item.code]
            rows.append(row)
        return rows

    return make


@pytest.fixture
def audit_rows():
    return lambda: AuditEvent.objects.count()


@pytest.fixture
def actions():
    """actions(since_id) -> the audit actions written after ``since_id``."""
    return lambda since: list(AuditEvent.objects.filter(pk__gt=since).order_by("pk").values_list("action", flat=True))


@pytest.fixture
def last_audit_id():
    return lambda: AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
