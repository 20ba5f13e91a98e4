"""Fixtures of the construction tests: reference data, a construction site of the
区建管委 in 江湾镇 built by units["construction"], the people around it, a work factory."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhiben.construction import services
from zhiben.core.testing import make_user
from zhiben.hazards.models import HazardCategory
from zhiben.hazards.reference import load_files as load_hazard_reference
from zhiben.org.choices import Role
from zhiben.registry import services as registry_services
from zhiben.registry.models import Sector, SiteType
from zhiben.registry.reference import load_files


@pytest.fixture
def reference(orgs):
    load_hazard_reference()
    load_files()
    return {
        "types": {t.code: t for t in SiteType.objects.all()},
        "sectors": {s.code: s for s in Sector.objects.all()},
        "categories": {c.code: c for c in HazardCategory.objects.all()},
    }


@pytest.fixture
def people(orgs, units, users):
    """The construction side: 建管委 officer, 江湾镇 街道经办人, the builder's 企业用户."""
    return {
        **users,
        "jgw": make_user("t_jgw", Role.DEPT_OFFICER, orgs["hk-jgw"]),
        "jwz": make_user("t_jwz", Role.STREET_OFFICER, orgs["hk-jwz"]),
        "builder": make_user("t_builder", Role.ENTERPRISE, orgs["hk-jgw"], unit=units["construction"]),
        "jgw_expert": make_user("t_jgw_expert", Role.EXPERT, orgs["hk-jgw"]),
    }


@pytest.fixture
def project(reference, units, users, orgs):
    return registry_services.site_create(
        actor=users["admin"],
        data={
            "site_type": reference["types"]["construction_site"],
            "name": "场中路住宅项目",
            "unit": units["construction"],
            "address": "场中路200号",
        },
    )


@pytest.fixture
def other_project(reference, units, users, orgs):
    """A construction site of another builder (the commerce unit, 北外滩)."""
    return registry_services.site_create(
        actor=users["admin"],
        data={
            "site_type": reference["types"]["construction_site"],
            "name": "北外滩改造工程",
            "unit": units["commerce"],
        },
    )


def past(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


@pytest.fixture
def make_work(people, project):
    def make(actor=None, **data):
        return services.work_create(
            actor=actor or people["jgw"],
            data={"site": project, "name": "1#楼基坑", "work_type": "pit", **data},
        )

    return make
