"""Demo content for `zhiben demo`: a few more public civil-defence works (registry
sites of type 人防工程, through the registry's service), a use filing of each work in
each state (在用, 闲置, 报废) and this month's check done for some of them (finished
inspections with the checklist civil-defense-monthly, through the inspections
service) — all through the same services as production. Idempotent: does nothing
once a filing exists."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from zhiben.inspections import services as inspections
from zhiben.inspections.choices import AnswerResult, InspectionMethod
from zhiben.org.models import Organization, User
from zhiben.registry import services as registry
from zhiben.registry.models import Site, SiteType

from . import services
from .models import SITE_TYPE, UseFiling
from .selectors import current_checklist_version

SHELTER = "虹口公园地下人防工程"  # registry/demo.py
# (name, street code, address, 工程类别 usage attribute, area)
MORE_WORKS = [
    ("四川北路地下人防工程", "hk-scbl", "四川北路1500号地下", "在用", 1800),
    ("北外滩滨江人防工程", "hk-bwt", "东大名路800号地下", "闲置", 950),
    ("江湾镇场中路人防工程", "hk-jwz", "场中路300号地下", "闲置", 1200),
    ("曲阳路人防工程", "hk-qyl", "曲阳路600号地下", "退序", 600),
]
# (site name, 备案编号, use state to reach, 用途, 使用单位, days filed ago, validity years, checked this month)
FILINGS = [
    (SHELTER, "HKRF-2024-001", "in_use", "parking", "上海虹口公园停车管理有限公司", 400, 3, True),
    ("四川北路地下人防工程", "HKRF-2024-002", "in_use", "commercial", "四川北路地下商场经营部", 380, 1, False),
    ("北外滩滨江人防工程", "HKRF-2024-003", "idle", "storage", "", 300, 3, True),
    ("江湾镇场中路人防工程", "HKRF-2025-004", "idle", "other", "", 200, 3, False),
    ("曲阳路人防工程", "HKRF-2023-005", "retired", "storage", "曲阳物流仓储有限公司", 800, 3, False),
]


def _works(admin: User) -> dict[str, Site]:
    site_type = SiteType.objects.get(code=SITE_TYPE)
    orgs = {o.code: o for o in Organization.objects.filter(code__in={w[1] for w in MORE_WORKS})}
    found = {s.name: s for s in Site.objects.filter(site_type=site_type)}
    for name, street, address, usage, area in MORE_WORKS:
        if name not in found and street in orgs:
            found[name] = registry.site_create(
                actor=admin,
                data={
                    "site_type": site_type,
                    "name": name,
                    "street": orgs[street],
                    "address": address,
                    "attributes": {"category": "公用人防工程", "usage": usage, "area_m2": area},
                },
            )
    return found


def _check(admin: User, site: Site, version, organization: Organization, day: dt.date) -> None:
    answers = [
        {"item": item, "result": AnswerResult.NOT_APPLICABLE if item.code == "I-1" else AnswerResult.PASS}
        for item in version.items.all()
    ]
    inspections.inspection_create(
        actor=admin,
        data={
            "site": site,
            "checklist_version": version,
            "inspected_on": day,
            "organization": organization,
            "method": InspectionMethod.JOINT,
            "summary": "月度日常检查（演示）：未发现问题。",
        },
        answers=answers,
        finish=True,
    )


def create_demo_filings() -> str:
    if UseFiling.objects.exists():
        return "已有人防工程使用备案，未新增"
    admin = User.objects.filter(username="admin").first()
    if admin is None or not SiteType.objects.filter(code=SITE_TYPE).exists():
        return "缺少演示账号或人防工程场所类型，未新增"
    works = _works(admin)
    version = current_checklist_version()
    center = (
        Organization.objects.filter(code="hk-gdb-mfglzx").first() or Organization.objects.filter(code="hk-gdb").first()
    )
    today = timezone.localdate()
    filed = checked = 0
    for site_name, number, state, purpose, user_name, days_ago, years, done in FILINGS:
        site = works.get(site_name)
        if site is None:
            continue
        filed_on = today - dt.timedelta(days=days_ago)
        filing = services.filing_create(
            actor=admin,
            data={
                "site": site,
                "filing_no": number,
                "state": "in_use" if state != "idle" else "idle",
                "user_name": user_name,
                "purpose": purpose,
                "area_m2": Decimal(site.attributes.get("area_m2") or 500),
                "filed_on": filed_on,
                "valid_until": filed_on.replace(year=filed_on.year + years) - dt.timedelta(days=1)
                if not (filed_on.month == 2 and filed_on.day == 29)
                else dt.date(filed_on.year + years, 2, 28),
                "manager_name": "区民防管理中心 王工",
            },
        )
        if state == "retired":
            services.filing_transition(
                actor=admin, filing=filing, name="retire", reason="工程结构老化，经鉴定不再使用（演示）"
            )
        filed += 1
        if done and version is not None and center is not None:
            _check(admin, site, version, center, today)
            checked += 1
    return f"使用备案 {filed} 份（在用、闲置、报废各有），本月已完成月度检查 {checked} 处"
