"""Demo content of the registry for `zhiben demo`: unit details, sites of
several types linked to the demo units, a grid, risk assessments and a flag;
and 有限空间 of units of the commerce, ecology and greening sectors with their
作业审批 (one refused for its gas readings, one withdrawn). All through the
services (so each has its audit row). Idempotent: the sites are made once
(none exists yet), the confined spaces once (none exists yet)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.core.validators import uscc_check_char
from zhiben.org.models import Organization, User

from . import services
from .models import ConfinedSpace, Grid, Sector, Site, SiteType, Tag, Unit

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


# Units of the ecology and greening sectors for the confined-space demo (first 17 characters of
# the 统一社会信用代码, name, address, 街道 code, sector code); the commerce one is DEMO_UNITS[0].
CONFINED_DEMO_UNITS = [
    ("91310109MA1G5Y0D0", "上海北虹环保科技有限公司", "广粤路300号", "hk-gzl", "ecology"),
    ("91310109MA1G5Y0E0", "上海虹口园林绿化养护有限公司", "四川北路2288号", "hk-oyl", "greening"),
]


def _gas(oxygen: str, lel: str = "0", h2s: str = "0", co: str = "0") -> dict[str, str]:
    return {"oxygen_pct": oxygen, "lel_pct": lel, "h2s_ppm": h2s, "co_ppm": co}


def create_demo_confined() -> str:
    """有限空间 for a commerce, an ecology and a greening unit, each with 作业审批."""
    if ConfinedSpace.objects.exists():
        return "已有有限空间，未新增"
    admin = User.objects.filter(username="admin").first()
    first17 = DEMO_UNITS[0][0]
    mall = Unit.objects.filter(uscc=first17 + uscc_check_char(first17)).first()
    if admin is None or mall is None:
        return "缺少演示账号或单位，未新增有限空间"
    orgs = {o.code: o for o in Organization.objects.all()}
    sectors = {s.code: s for s in Sector.objects.all()}
    units = {"commerce": mall}
    for first17, name, address, street, sector in CONFINED_DEMO_UNITS:
        uscc = first17 + uscc_check_char(first17)
        units[sector] = Unit.objects.filter(uscc=uscc).first() or services.unit_create(
            actor=admin, name=name, uscc=uscc, address=address, street=orgs[street], sector=sectors[sector]
        )
    # The mall's own 企业用户 records its permits when the demo accounts exist.
    recorder = User.objects.filter(username="qiye_bwt").first() or admin
    today = timezone.localdate()

    def space(unit: Unit, actor: User, **data) -> ConfinedSpace:
        return services.confined_space_create(actor=actor, data={"unit": unit, "has_warning_sign": True, **data})

    def permit(actor: User, target: ConfinedSpace, days_ago: int, start: int, end: int, gas, **data):
        return services.confined_permit_record(
            actor=actor,
            space=target,
            data={
                "work_date": today - dt.timedelta(days=days_ago),
                "start_time": dt.time(start, 0),
                "end_time": dt.time(end, 0),
                **gas,
                **data,
            },
        )

    well = space(
        mall,
        recorder,
        code="YX-01",
        name="地下二层污水提升井",
        location="B2 设备层东北角",
        space_type="underground",
        hazards=["anoxia", "poisoning", "drowning"],
        manager_name="韩安全",
    )
    grease = space(
        mall,
        recorder,
        code="YX-02",
        name="餐饮区隔油池",
        location="B1 后勤通道",
        space_type="underground",
        hazards=["poisoning", "explosion"],
        manager_name="韩安全",
    )
    refused = permit(
        recorder,
        well,
        9,
        9,
        11,
        _gas("18.2", h2s="12.0"),
        content="污水提升泵检修",
        contractor="上海申排管道工程有限公司",
        approver_name="沈立新",
        guardian_name="韩安全",
        approved=False,
        note="进入前检测氧气不足、硫化氢超标，不予审批；强制通风后复测",
    )
    permit(
        recorder,
        well,
        9,
        13,
        15,
        _gas("20.6", h2s="1.0", co="2"),
        content="污水提升泵检修（通风后复测合格）",
        contractor="上海申排管道工程有限公司",
        approver_name="沈立新",
        guardian_name="韩安全",
        approved=True,
    )
    permit(
        recorder,
        grease,
        3,
        14,
        16,
        _gas("20.9", lel="2.0"),
        content="隔油池清掏",
        approver_name="沈立新",
        guardian_name="韩安全",
        approved=True,
    )
    cancelled = permit(
        recorder,
        grease,
        1,
        9,
        10,
        _gas("20.9"),
        content="隔油池格栅更换",
        approver_name="沈立新",
        guardian_name="韩安全",
        approved=False,
    )
    services.confined_permit_withdraw(actor=recorder, permit=cancelled, reason="供应商未到货，作业改期")

    tank = space(
        units["ecology"],
        admin,
        code="HB-01",
        name="废液收集池",
        location="危废暂存库南侧",
        space_type="underground",
        hazards=["poisoning", "anoxia", "explosion"],
        manager_name="陆环保",
    )
    permit(
        admin,
        tank,
        5,
        8,
        10,
        _gas("20.4", lel="3.0", h2s="2.0", co="4"),
        content="收集池底泥清理",
        contractor="上海清源环境服务有限公司",
        approver_name="陆环保",
        guardian_name="顾师傅",
        approved=True,
    )
    pool = space(
        units["greening"],
        admin,
        code="LH-01",
        name="公园地下雨水调蓄池",
        location="鲁迅公园西北角绿地下",
        space_type="underground",
        hazards=["anoxia", "drowning", "fall"],
        manager_name="邵园长",
    )
    space(
        units["greening"],
        admin,
        code="LH-02",
        name="公厕化粪池",
        location="公园3号公厕后侧",
        space_type="underground",
        hazards=["poisoning", "anoxia"],
        manager_name="邵园长",
    )
    permit(
        admin,
        pool,
        12,
        9,
        12,
        _gas("20.8", co="1"),
        content="调蓄池淤泥清理与格栅检查",
        contractor="上海绿苑市政养护有限公司",
        approver_name="邵园长",
        guardian_name="沈师傅",
        approved=True,
    )
    return (
        f"有限空间 {ConfinedSpace.objects.count()} 处（商务、生态环境、绿化市容），作业审批 6 条"
        f"（1 条气体检测不合格未通过：{refused.work_date:%m-%d}，1 条已撤回）"
    )
