"""Fixtures of the registry tests: reference data (sectors, site types,
ownership, tags), a site factory and an audit-row counter."""

from __future__ import annotations

import pytest

from zhiben.audit.models import AuditEvent
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.registry import services
from zhiben.registry.models import Sector, Site, SiteType
from zhiben.registry.reference import load_files


@pytest.fixture
def reference(orgs):
    load_hazard_reference()
    load_files()
    return {
        "sectors": {s.code: s for s in Sector.objects.all()},
        "types": {t.code: t for t in SiteType.objects.all()},
    }


@pytest.fixture
def make_site(users, reference, orgs):
    def make(type_code: str = "commercial_complex", name: str = "测试场所", actor=None, **data) -> Site:
        return services.site_create(
            actor=actor or users["admin"], data={"site_type": reference["types"][type_code], "name": name, **data}
        )

    return make


@pytest.fixture
def audit_rows():
    """audit_rows() -> the number of audit rows so far."""
    return lambda: AuditEvent.objects.count()
