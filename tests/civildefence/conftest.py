"""Fixtures of the civildefence tests: reference data (site types, hazard categories,
the checklists from data/checklists), civil-defence works owned by 区国动办 in two
街道, users of 区国动办, a filing factory and a helper finishing a monthly check."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.civildefence import services
from zhiben.civildefence.models import CHECKLIST_CODE
from zhiben.core.testing import make_user
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.inspections import services as inspection_services
from zhiben.inspections.models import Checklist
from zhiben.org.choices import Role
from zhiben.registry import services as registry_services
from zhiben.registry.models import SiteType
from zhiben.registry.reference import load_files as load_registry_reference


@pytest.fixture
def reference(orgs):
    load_hazard_reference()
    load_registry_reference()
    inspection_services.load_files()
    return {c.code: c for c in Checklist.objects.all()}


@pytest.fixture
def gdb(orgs, users):
    """Users of 区国动办 (the owner of 人防工程 per data/ownership.yaml) and of a 街道."""
    return {
        "officer": make_user("t_gdb_officer", Role.DEPT_OFFICER, orgs["hk-gdb"]),
        "leader": make_user("t_gdb_leader", Role.DEPT_LEADER, orgs["hk-gdb"]),
        "readonly": make_user("t_gdb_readonly", Role.READONLY, orgs["hk-gdb"]),
        "center": make_user("t_gdb_center", Role.DEPT_OFFICER, orgs["hk-gdb-mfglzx"]),
        "oyl": make_user("t_oyl_street", Role.STREET_OFFICER, orgs["hk-oyl"]),
    }


@pytest.fixture
def works(reference, users, orgs):
    """Three civil-defence works (owner: 区国动办 by ownership) and a site of another type."""
    types = {t.code: t for t in SiteType.objects.all()}
    admin = users["admin"]

    def site(type_code, name, street):
        return registry_services.site_create(
            actor=admin,
            data={
                "site_type": types[type_code],
                "name": name,
                "street": orgs[street],
                "attributes": {"category": "公用人防工程", "usage": "在用"} if type_code == "civil_air_defense" else {},
            },
        )

    return {
        "park": site("civil_air_defense", "虹口公园人防工程", "hk-oyl"),
        "river": site("civil_air_defense", "滨江人防工程", "hk-bwt"),
        "lane": site("civil_air_defense", "曲阳人防工程", "hk-qyl"),
        "mall": site("commercial_complex", "某商场", "hk-bwt"),
    }


def filing_data(site, **data) -> dict:
    today = timezone.localdate()
    return {
        "site": site,
        "filing_no": "HKRF-T-001",
        "state": "in_use",
        "user_name": "某停车管理公司",
        "purpose": "parking",
        "area_m2": Decimal("1200.50"),
        "filed_on": today - dt.timedelta(days=200),
        "valid_until": today + dt.timedelta(days=500),
        "manager_name": "王工",
        **data,
    }


@pytest.fixture
def data_for():
    """data_for(site, **overrides) -> service data of a valid filing."""
    return filing_data


@pytest.fixture
def make_filing(gdb):
    def make(site, actor=None, **data):
        return services.filing_create(actor=actor or gdb["officer"], data=filing_data(site, **data))

    return make


@pytest.fixture
def check(users, orgs, reference):
    """check(site, day, finish=True, checklist=CHECKLIST_CODE) -> an inspection of ``site`` on ``day``."""

    def make(site, day, *, finish=True, checklist=CHECKLIST_CODE):
        version = reference[checklist].current_version
        answers = [{"item": item, "result": "pass"} for item in version.items.all()]
        return inspection_services.inspection_create(
            actor=users["admin"],
            data={
                "site": site,
                "checklist_version": version,
                "inspected_on": day,
                "organization": orgs["hk-gdb-mfglzx"],
                "method": "joint",
            },
            answers=answers,
            finish=finish,
        )

    return make


@pytest.fixture
def last_audit_id():
    return lambda: AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def actions():
    return lambda since: list(AuditEvent.objects.filter(pk__gt=since).order_by("pk").values_list("action", flat=True))
