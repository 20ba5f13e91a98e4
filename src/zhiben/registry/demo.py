"""Demo content of the registry for `zhiben demo`: unit details, sites of
several types linked to the demo units, a grid, risk assessments and a flag,
created through the services (so each has its audit row). Idempotent: does
nothing once the demo sites exist."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.core.validators import uscc_check_char
from zhiben.org.models import Organization, User

from . import services
from .models import Grid, Sector, Site, SiteType, Tag, Unit

DEMO_GRID = "北片区"

# The units `zhiben demo` gives its enterprise accounts (org's demo command reaches
# them through RegistryConfig.demo_units; its DEMO_USERS point into this list by index).
# (first 17 characters of the 统一社会信用代码, name, address, 街道 code, owning department code)
DEMO_UNITS = [
    ("91310109MA1G5Y0A0", "上海北外滩商业广场有限公司", "东大名路1000号", "hk-bwt", "hk-swj"),
    ("91310109MA1G5Y0B0", "上海虹口三角地农贸市场经营管理有限公司", "四川北路1588号", "hk-scbl", "hk-swj"),
    ("91310109MA1G5Y0C0", "上海江湾建设工程有限公司", "江湾镇街道场中路200号", "hk-jwz", "hk-jgw"),
]


def demo_unit_organizations() -> set[str]:
    """Codes of the organizations the demo units need (街道 and owning department)."""
    return {unit[3] for unit in DEMO_UNITS} | {unit[4] for unit in DEMO_UNITS}


def create_demo_units(*, actor: User, organizations: dict[str, Organization]) -> list[Unit]:
    """The demo units in ``DEMO_UNITS`` order, created through the service when missing."""
    units = []
    for first17, name, address, street, owner in DEMO_UNITS:
        uscc = first17 + uscc_check_char(first17)
        unit = Unit.objects.filter(uscc=uscc).first() or services.unit_create(
            actor=actor,
            name=name,
            uscc=uscc,
            address=address,
            street=organizations[street],
            owner=organizations[owner],
        )
        units.append(unit)
    return units


def create_demo_registry() -> str:
    if Site.objects.exists():
        return "已有场所，未新增"
    admin = User.objects.filter(username="admin").first()
    units = list(Unit.objects.order_by("pk")[:3])
    if admin is None or len(units) < 3:
        return "缺少演示账号或单位，未新增"
    mall, market, builder = units
    orgs = {o.code: o for o in Organization.objects.all()}
    sectors = {s.code: s for s in Sector.objects.all()}
    types = {t.code: t for t in SiteType.objects.all()}
    tags = {t.code: t for t in Tag.objects.all()}
    today = timezone.localdate()

    services.unit_update(
        actor=admin,
        unit=mall,
        data={
            "sector": sectors.get("commerce"),
            "industry_type": "大型商业综合体",
            "tags": [tags["key_unit"], tags["crowded"]],
            "legal_rep_name": "沈立新",
            "legal_rep_phone": "13816605678",
            "safety_contact_name": "韩安全",
            "safety_contact_phone": "13917723456",
            "insurance_status": "insured",
            "insurance_expiry": today + dt.timedelta(days=20),
            "standardization_level": "level3",
        },
        reason="演示数据",
    )
    services.unit_update(
        actor=admin,
        unit=market,
        data={
            "sector": sectors.get("commerce"),
            "industry_type": "农贸市场",
            "tags": [tags["crowded"], tags["three_in_one"]],
            "safety_contact_name": "杨场长",
            "safety_contact_phone": "021-65551234",
        },
        reason="演示数据",
    )
    services.unit_update(
        actor=admin,
        unit=builder,
        data={
            "sector": sectors.get("construction"),
            "industry_type": "房屋建筑施工",
            "tags": [tags["high_risk_industry"]],
            "license_status": "valid",
            "license_expiry": today + dt.timedelta(days=400),
            "insurance_status": "uninsured",
        },
        reason="演示数据",
    )

    def site(type_code: str, name: str, **data) -> Site:
        return services.site_create(actor=admin, data={"site_type": types[type_code], "name": name, **data})

    complex_ = site(
        "commercial_complex",
        "北外滩商业广场",
        unit=mall,
        latitude="31.250410",
        longitude="121.499370",
        attributes={"floor_area_m2": 86000, "crowded": True},
    )
    market_site = site("farmers_market", "三角地农贸市场", unit=market, attributes={"stalls": 120})
    works = site(
        "construction_site",
        "江湾镇场中路住宅项目",
        unit=builder,
        attributes={"stage": "主体结构", "has_deep_pit": True, "contractor": "上海江湾建设工程有限公司"},
    )
    small = site(
        "small_works",
        "四川北路沿街商铺装修",
        street=orgs["hk-scbl"],
        address="四川北路1666号",
        attributes={"works_kind": "装饰装修", "hot_work": True},
    )
    shelter = site(
        "civil_air_defense",
        "虹口公园地下人防工程",
        street=orgs["hk-oyl"],
        address="四川北路2288号",
        attributes={"category": "公用人防工程", "usage": "在用", "area_m2": 3200},
    )
    site(
        "road_spot",
        "东大名路—旅顺路口",
        street=orgs["hk-bwt"],
        attributes={"spot_kind": "视距不足路口", "road": "东大名路"},
    )
    site("ebike_charging", "江湾镇电动自行车集中充电棚", street=orgs["hk-jwz"], attributes={"spaces": 80})

    services.grid_create(
        actor=admin,
        data={
            "name": DEMO_GRID,
            "owner": orgs["hk-awb"],
            "streets": [orgs["hk-jwz"], orgs["hk-gzl"], orgs["hk-qyl"]],
            "sites": [shelter],
            "inspectors": list(User.objects.filter(username__in=["street_jwz", "jgw_officer"])),
            "note": "演示：北部片区联合检查",
        },
    )

    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    services.risk_assess(actor=admin, unit=mall, method="lec", inputs={"L": 3, "E": 6, "C": 15}, assessed_on=last_month)
    services.risk_assess(actor=admin, unit=mall, method="lec", inputs={"L": 3, "E": 6, "C": 7}, assessed_on=today)
    services.risk_assess(actor=admin, site=works, method="ls", inputs={"L": 4, "S": 5}, assessed_on=today)
    services.risk_assess(actor=admin, site=complex_, method="lec", inputs={"L": 6, "E": 6, "C": 7}, assessed_on=today)
    services.risk_assess(actor=admin, site=market_site, method="ls", inputs={"L": 3, "S": 3}, assessed_on=today)
    services.risk_assess(actor=admin, site=small, method="ls", inputs={"L": 3, "S": 4}, assessed_on=today)
    services.flag_add(
        actor=admin,
        unit=builder,
        kind="no_award",
        reason="演示：发生生产安全责任事故（construction 7）",
        start=today - dt.timedelta(days=60),
    )
    grid = Grid.objects.get(name=DEMO_GRID)
    return f"场所 {Site.objects.count()} 处，网格 1 个（{grid.name}），风险评估 6 条，单位标记 1 条"
