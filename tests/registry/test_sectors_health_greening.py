"""Issue 12, the two new sectors 卫生健康 and 绿化市容: their reference data as `zhiben setup`
loads it, a walk through the services for each (unit → site of a new type → inspection with
the new checklist → a failed item becomes a hazard in the 主管部门's ledger), and the unit
names of health.txt / greening.txt resolving to organizations when the plans are imported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from zhiben.core.testing import make_uscc, make_user
from zhiben.hazards.access import visible_hazards
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.inspections import services as inspection_services
from zhiben.inspections.models import Checklist
from zhiben.org.choices import Role
from zhiben.org.models import Organization
from zhiben.plans import services as plan_services
from zhiben.plans.importing import resolve_unit
from zhiben.plans.models import TaskUnit
from zhiben.plans.parsing import parse_plan_file
from zhiben.registry import services as registry_services
from zhiben.registry.models import Grid, Sector, SiteType

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)

# Every spelling the two plans use for a body of the district or the city -> node code.
PLAN_NAMES = {
    "区卫健委": "hk-wjw",
    "区卫生健康委": "hk-wjw",
    "委应急管理科": "hk-wjw-yjglk",
    "市卫健委": "ext-swjw",
    "市公安局": "ext-sgaj",
    "区应急局": "hk-yjj",
    "虹口消防救援支队": "ext-hkxfjyzd",
    "区绿化市容局": "hk-lhsrj",
    "市容科": "hk-lhsrj-srk",
    "区安委办": "hk-awb",
    "市安委会": "ext-sawh",
    "上海市绿化和市容管理局": "ext-slhsrj",
}


@pytest.fixture
def setup_data(db):
    """The reference data exactly as `zhiben setup` loads it."""
    call_command("setup", verbosity=0)
    return {o.code: o for o in Organization.objects.all()}


def _plan_path(name: str) -> Path:
    """data/plans/<name>.txt once the parser owner has copied it there, else the shared copy."""
    for folder in (Path(settings.DATA_DIR) / "plans", Path("/work/shared/plans")):
        if (folder / f"{name}.txt").is_file():
            return folder / f"{name}.txt"
    pytest.skip(f"{name}.txt is in neither data/plans nor /work/shared/plans")


# --- reference data -----------------------------------------------------------------------


def test_setup_loads_offices_and_external_bodies(setup_data):
    orgs = setup_data
    assert orgs["hk-wjw-yjglk"].parent == orgs["hk-wjw"] and orgs["hk-wjw-yjglk"].kind == "section"
    assert orgs["hk-lhsrj-srk"].parent == orgs["hk-lhsrj"] and orgs["hk-lhsrj-srk"].kind == "section"
    for name, code in PLAN_NAMES.items():
        assert Organization.objects.resolve(name) == orgs[code], name


def test_setup_loads_sectors_site_types_and_owners(setup_data):
    orgs = setup_data
    assert Sector.objects.get(code="health").owner == orgs["hk-wjw"]
    assert Sector.objects.get(code="health").plan_file == "health.txt"
    assert Sector.objects.get(code="greening").owner == orgs["hk-lhsrj"]
    assert Sector.objects.get(code="greening").plan_file == "greening.txt"
    types = {t.code: t for t in SiteType.objects.select_related("sector", "owner")}
    medical = types["medical"]
    keys = {a["key"]: a for a in medical.attributes}
    assert keys["category"]["choices"] == ["二级以上医院", "社区卫生服务中心", "社会办医疗机构", "其他"]
    assert keys["fire_standard_year"]["kind"] == "number"
    assert keys["one_building_plan"]["kind"] == "bool"
    for key in ("hr_hazchem", "hr_alcohol", "hr_oxygen", "hr_power", "hr_lab", "security_system", "security_check"):
        assert keys[key]["kind"] == "bool", key
    assert medical.owner == orgs["hk-wjw"] and medical.sector.code == "health"
    park = {a["key"]: a for a in types["park"].attributes}
    assert {"open_24h", "has_rides", "rides", "large_crowd"} <= set(park)
    outdoor = {a["key"]: a for a in types["outdoor_facility"].attributes}
    assert outdoor["last_tested_on"]["kind"] == "date" and outdoor["next_test_due"]["kind"] == "date"
    for code in ("park", "outdoor_facility", "waste_transfer", "construction_waste_site", "greening_gas_user"):
        assert types[code].owner == orgs["hk-lhsrj"], code
        assert types[code].sector.code == "greening", code
        assert types[code].ownership_source.startswith("greening"), code


def test_setup_loads_categories_and_checklists(setup_data):
    health = Sector.objects.get(code="health")
    greening = Sector.objects.get(code="greening")
    med = HazardCategory.objects.get(code="med")
    assert health in med.sectors.all() and greening not in med.sectors.all()
    assert HazardCategory.objects.filter(code__startswith="med-").count() == 13
    for root in ("pk", "osf", "hw", "grn", "gas", "ltd", "fire"):
        assert greening in HazardCategory.objects.get(code=root).sectors.all(), root
    for root in ("gas", "ltd", "fire"):
        assert health in HazardCategory.objects.get(code=root).sectors.all(), root
    checklists = {c.code: c for c in Checklist.objects.all()}
    for code in (
        "health-medical-2024",
        "greening-parks",
        "greening-outdoor-facilities",
        "greening-gas",
        "greening-waste",
    ):
        version = checklists[code].current_version
        assert version is not None and version.items.exists(), code
    items = {i.code: i for i in checklists["health-medical-2024"].current_version.items.select_related("category")}
    assert items["3-3"].category.code == "med-yq" and not items["3-3"].major
    assert "医疗机构消防安全管理达标建设标准" in checklists["health-medical-2024"].source


def test_setup_twice_changes_nothing(setup_data):
    counts = (SiteType.objects.count(), HazardCategory.objects.count(), Checklist.objects.count())
    call_command("setup", verbosity=0)
    assert (SiteType.objects.count(), HazardCategory.objects.count(), Checklist.objects.count()) == counts


# --- walks through the services ------------------------------------------------------------


def _walk(orgs, *, department, sector, type_code, site_name, attributes, checklist, fail):
    """A department officer registers a unit and a site, runs a campaign inspection with
    ``checklist`` failing the items in ``fail``; returns (officer, site, hazards by item code)."""
    officer = make_user(f"t_{department}_officer", Role.DEPT_OFFICER, orgs[department])
    unit = registry_services.unit_create(
        actor=officer,
        name=f"{site_name}运营单位",
        uscc=make_uscc(91),
        street=orgs["hk-oyl"],
        sector=Sector.objects.get(code=sector),
    )
    assert unit.owner == orgs[department]  # the sector's owner
    site = registry_services.site_create(
        actor=officer,
        data={
            "site_type": SiteType.objects.get(code=type_code),
            "name": site_name,
            "unit": unit,
            "street": orgs["hk-oyl"],
            "attributes": attributes,
        },
    )
    assert site.owner == orgs[department]  # 三管三必须: the type's owner
    for key, value in attributes.items():
        assert site.attributes[key] == value, key
    version = Checklist.objects.get(code=checklist).current_version
    campaign = inspection_services.campaign_create(
        actor=officer,
        data={
            "name": "治本攻坚专项检查",
            "owner": orgs[department],
            "method": "random",
            "period_start": dt.date(2026, 1, 1),
            "period_end": dt.date(2026, 12, 31),
            "checklist": version.checklist,
            "target": {"site_types": [type_code]},
        },
    )
    answers = [
        {"item": item, "result": "fail" if item.code in fail else "pass", "note": fail.get(item.code, "")}
        for item in version.items.all()
    ]
    inspection = inspection_services.inspection_create(
        actor=officer,
        data={"campaign": campaign, "site": site, "inspected_on": DAY},
        answers=answers,
        finish=True,
    )
    hazards = {
        a.item.code: a.hazard
        for a in inspection.answers.filter(result="fail").select_related("item", "hazard__category", "hazard__owner")
    }
    assert set(hazards) == set(fail)
    return officer, site, hazards


def test_health_walk(setup_data, users):
    orgs = setup_data
    officer, site, hazards = _walk(
        orgs,
        department="hk-wjw",
        sector="health",
        type_code="medical",
        site_name="区江湾医院",
        attributes={
            "category": "二级以上医院",
            "fire_standard_year": 2024,
            "hr_oxygen": True,
            "hr_alcohol": True,
            "security_check": False,
        },
        checklist="health-medical-2024",
        fail={"3-3": "液氧站未设防撞设施", "2-2": "燃气阻断报警装置超期未年检"},
    )
    assert hazards["3-3"].category.code == "med-yq"
    assert hazards["2-2"].category.code == "gas-bjq"
    for hazard in hazards.values():
        assert hazard.owner == orgs["hk-wjw"] and hazard.level == "general"
        assert hazard.sector.code == "health" and hazard.unit == site.unit and hazard.location == site.name
    # In 区卫健委's ledger (also its 应急管理科's department view), not in 区商务委's.
    ledger = set(visible_hazards(officer).values_list("pk", flat=True))
    assert {h.pk for h in hazards.values()} <= ledger
    assert not visible_hazards(users["officer"]).filter(pk__in=[h.pk for h in hazards.values()]).exists()
    # A 检查组 by 片区 is a grid of 区卫健委.
    grid = registry_services.grid_create(
        actor=users["admin"],
        data={
            "name": "北片区安全检查组",
            "owner": orgs["hk-wjw"],
            "streets": [orgs["hk-oyl"]],
            "inspectors": [officer],
        },
    )
    assert Grid.objects.filter(pk=grid.pk, owner=orgs["hk-wjw"]).exists()


def test_greening_walk_park(setup_data, users):
    orgs = setup_data
    officer, site, hazards = _walk(
        orgs,
        department="hk-lhsrj",
        sector="greening",
        type_code="park",
        site_name="鲁迅公园",
        attributes={"open_24h": True, "has_rides": True, "rides": 6, "large_crowd": True},
        checklist="greening-parks",
        fail={"1-2": "国庆前未对游乐设施开展安全检查", "3-1": "园内小餐饮使用液化气钢瓶"},
    )
    assert hazards["1-2"].category.code == "pk-ylss"
    assert hazards["3-1"].category.code == "pk-jxcs"
    for hazard in hazards.values():
        assert hazard.owner == orgs["hk-lhsrj"] and hazard.sector.code == "greening" and hazard.unit == site.unit
    ledger = visible_hazards(officer)
    assert ledger.filter(pk__in=[h.pk for h in hazards.values()]).count() == 2
    assert not visible_hazards(users["officer"]).filter(pk__in=[h.pk for h in hazards.values()]).exists()


def test_greening_walk_outdoor_facility(setup_data):
    orgs = setup_data
    _, site, hazards = _walk(
        orgs,
        department="hk-lhsrj",
        sector="greening",
        type_code="outdoor_facility",
        site_name="四川北路某店招",
        attributes={"facility_kind": "店招店牌", "last_tested_on": "2025-06-01", "fall_risk": True},
        checklist="greening-outdoor-facilities",
        fail={"1-2": "招牌框架锈蚀松动"},
    )
    assert hazards["1-2"].category.code == "osf-gz" and hazards["1-2"].owner == orgs["hk-lhsrj"]
    hazard = Hazard.objects.get(pk=hazards["1-2"].pk)
    assert hazard.sector.code == "greening" and hazard.unit == site.unit and hazard.location == site.name


# --- plan unit names -------------------------------------------------------------------------


@pytest.mark.parametrize("name,owner", [("health", "hk-wjw"), ("greening", "hk-lhsrj")])
def test_plan_unit_names_resolve(setup_data, name, owner):
    orgs = setup_data
    data = parse_plan_file(_plan_path(name))
    named = {
        unit for task in data["tasks"] for key in ("lead_units", "participating_units") for unit in task.get(key) or []
    }
    plan = plan_services.plan_import(actor=None, data=data, source_name=f"{name}.txt").plan
    assert plan.owner == orgs[owner] and plan.sector.code == name
    stored = set(TaskUnit.objects.filter(task__plan=plan).values_list("name", flat=True))
    assert named <= stored
    unresolved = sorted(
        TaskUnit.objects.filter(task__plan=plan, organization__isnull=True).values_list("name", flat=True).distinct()
    )
    assert not unresolved
    office = (data.get("leading_group") or {}).get("office")
    if office:
        resolution = resolve_unit(office, plan.owner)
        assert resolution.organization is not None and resolution.organization.is_within(orgs[owner]), office
