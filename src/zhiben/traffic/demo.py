"""Demo content of 道路交通 (``zhiben demo``, TrafficConfig.demo_data): road spots listed as
事故多发点段 in 2024 and 2025 with their 整治 in every state, and schools with and without
a 一校一方案 for the current 学年. Everything goes through the services (registry's for the
sites); running it again adds nothing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.org.models import Organization, User
from zhiben.registry.models import Site, SiteType
from zhiben.registry.services import site_create

from . import services
from .models import BLACK_SPOT_TYPE, SCHOOL_TYPE, BlackSpotListing, SchoolSafetyPlan, current_school_year

D = dt.date

# name, 街道 code, attributes
ROAD_SPOTS = [
    ("东大名路—旅顺路口", "hk-bwt", {"spot_kind": "视距不足路口", "road": "东大名路"}),
    ("四川北路—海宁路口", "hk-scbl", {"spot_kind": "事故多发点段", "road": "四川北路", "section": "海宁路口"}),
    ("中山北一路—水电路口", "hk-gzl", {"spot_kind": "右转弯事故路口", "road": "中山北一路"}),
    ("逸仙路高架下匝道口", "hk-jwz", {"spot_kind": "事故多发点段", "road": "逸仙路", "section": "汶水东路—高架下匝道"}),
    ("大连西路—赤峰路口", "hk-qyl", {"spot_kind": "需设隔离栏路段", "road": "大连西路"}),
    ("虬江路沿河段", "hk-scbl", {"spot_kind": "临水无护栏", "road": "虬江路", "section": "宝山路—四川北路"}),
]
# spot index, year, level, accidents, lead code, transitions [(name, data, reason)]
LISTINGS = [
    (0, 2024, "district", 5, "hk-gafj", [
        ("start", {"measures": "增设路口黄闪灯和“减速慢行”标志，修剪遮挡视线的行道树", "started_on": D(2024, 3, 1)}, ""),
        ("complete", {"finished_on": D(2024, 9, 30), "evidence": "施工验收单、整改前后照片"}, ""),
        ("accept", {"accepted_by": "区交安委办公室", "accepted_on": D(2024, 10, 20)}, ""),
    ]),
    (1, 2024, "city", 9, "hk-gafj", [
        ("start", {"measures": "调整信号配时，增设非机动车二次过街等候区和隔离护栏", "started_on": D(2024, 4, 1)}, ""),
        ("complete", {"finished_on": D(2025, 5, 31)}, ""),
    ]),
    (2, 2024, "district", 4, "hk-jgw", [
        ("start", {"measures": "右转车道增设右转警示标线和盲区提示标志", "started_on": D(2024, 6, 1)}, ""),
    ]),
    (3, 2024, "district", 3, "hk-jgw", []),
    (4, 2025, "district", 4, "hk-jgw", [
        ("start", {"measures": "中央隔离栏延长 120 米，施划人行横道预告标线", "started_on": D(2025, 3, 1)}, ""),
        ("complete", {"finished_on": D(2025, 8, 31)}, ""),
        ("accept", {"accepted_by": "区建管委", "accepted_on": D(2025, 9, 15)}, ""),
    ]),
    (5, 2025, "district", 2, "hk-jgw", [
        ("start", {"measures": "临水侧增设钢护栏和轮廓标", "started_on": D(2025, 4, 1)}, ""),
        ("complete", {"finished_on": D(2025, 6, 30)}, ""),
        ("reopen", {}, "护栏高度不足 1.1 米，验收不通过"),
    ]),
]  # fmt: skip
SCHOOLS = [
    ("四川北路第一小学", "hk-scbl", {"school": "四川北路第一小学", "school_kind": "小学", "students": 860}),
    ("江湾镇实验中学", "hk-jwz", {"school": "江湾镇实验中学", "school_kind": "初中", "students": 1120}),
    ("北外滩幼儿园", "hk-bwt", {"school": "北外滩幼儿园", "school_kind": "幼儿园", "students": 310}),
    ("曲阳路第二小学", "hk-qyl", {"school": "曲阳路第二小学", "school_kind": "小学", "students": 640}),
]


def _sites(admin: User, type_code: str, rows, orgs: dict[str, Organization]) -> list[Site]:
    site_type = SiteType.objects.get(code=type_code)
    found = []
    for name, street, attributes in rows:
        site = Site.objects.filter(site_type=site_type, name=name).first()
        if site is None:
            data = {"site_type": site_type, "name": name, "street": orgs.get(street), "attributes": attributes}
            site = site_create(actor=admin, data=data)
        found.append(site)
    return found


def create_demo_traffic() -> str:
    admin = User.objects.filter(username="admin").first()
    if admin is None or SiteType.objects.filter(code__in=[BLACK_SPOT_TYPE, SCHOOL_TYPE]).count() != 2:
        return "缺少演示账号或场所类型，未新增"
    orgs = {o.code: o for o in Organization.objects.filter(code__startswith="hk")}
    done = []
    if not BlackSpotListing.objects.exists():
        spots = _sites(admin, BLACK_SPOT_TYPE, ROAD_SPOTS, orgs)
        for index, year, level, accidents, lead, steps in LISTINGS:
            listing = services.listing_create(
                actor=admin,
                data={
                    "site": spots[index],
                    "year": year,
                    "level": level,
                    "accident_count": accidents,
                    "lead_org": orgs[lead],
                    "reason": f"{year}年度道路交通事故多发点段排查认定",
                },
            )
            for name, data, reason in steps:
                services.rectification_transition(
                    actor=admin, rectification=listing.rectification, name=name, data=data, reason=reason
                )
        done.append(f"事故多发点段 {len(LISTINGS)} 处")
    if not SchoolSafetyPlan.objects.exists():
        schools = _sites(admin, SCHOOL_TYPE, SCHOOLS, orgs)
        year = current_school_year(timezone.localdate())
        reviewed = min(timezone.localdate(), D(year, 9, 10))
        services.school_plan_create(
            actor=admin,
            data={
                "site": schools[0],
                "school_year": year,
                "guard_posts": "上学 7:15—7:50、放学 15:20—16:00 校门口设护学岗 2 个，民警、教师、家长志愿者各 1 名",
                "traffic_facilities": "校门两侧各 50 米施划“学校区域”减速标线，人行横道增设黄闪灯",
                "pickup_order": "接送车辆在海宁路临时停车区即停即走，低年级错峰 10 分钟放学",
                "police_name": "刘警官",
                "police_phone": "021-65550110",
                "reviewed_on": reviewed,
                "status": "implemented",
            },
        )
        services.school_plan_create(
            actor=admin,
            data={
                "site": schools[1],
                "school_year": year,
                "guard_posts": "校门口护学岗 1 个（待落实人员）",
                "police_name": "陈警官",
                "status": "drafting",
            },
        )
        services.school_plan_create(
            actor=admin,
            data={
                "site": schools[2],
                "school_year": year - 1,
                "guard_posts": "校门口护学岗 1 个",
                "traffic_facilities": "增设“注意儿童”标志",
                "pickup_order": "家长在校门外黄线外等候",
                "police_name": "王警官",
                "reviewed_on": D(year - 1, 9, 5),
                "status": "implemented",
            },
        )
        done.append("学校周边 4 处、一校一方案 3 份")
    return "、".join(done) if done else "已有事故多发点段和一校一方案，未新增"
