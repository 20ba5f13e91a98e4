"""Demo content for `zhiben demo`: a campaign over the demo sites with a
双随机 draw and two finished inspections (one with a failed direct-
determination item, which puts a 重大 hazard on the ledger), created through
the services. Idempotent: does nothing once the demo campaign exists."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.org.models import Organization, User
from zhiben.registry.models import Site

from . import services
from .choices import AnswerResult, InspectionMethod
from .models import Campaign, Checklist

DEMO_CAMPAIGN = "2026年商业场所消防安全双随机抽查（演示）"
DEMO_SEED = "demo-2026"


def create_demo_inspections() -> str:
    if Campaign.objects.filter(name=DEMO_CAMPAIGN).exists():
        return "已有演示排查轮次，未新增"
    admin = User.objects.filter(username="admin").first()
    checklist = Checklist.objects.filter(code="gb35181-2017").first()
    mall = Site.objects.filter(name="北外滩商业广场").first()
    market = Site.objects.filter(name="三角地农贸市场").first()
    if admin is None or checklist is None or mall is None or market is None:
        return "缺少演示账号、检查表或场所，未新增"
    swj = Organization.objects.get(code="hk-swj")
    today = timezone.localdate()
    start = today.replace(month=1, day=1)
    campaign = services.campaign_create(
        actor=admin,
        data={
            "name": DEMO_CAMPAIGN,
            "owner": swj,
            "method": InspectionMethod.RANDOM,
            "period_start": start,
            "period_end": dt.date(today.year, 12, 31),
            "checklist": checklist,
            "target": {"site_types": ["commercial_complex", "farmers_market", "supermarket"]},
            "team_users": list(User.objects.filter(username__in=["swj_leader", "swj_officer"])),
            "frequency_times": 2,
            "frequency_period": "year",
        },
    )
    pool = list(User.objects.filter(username__in=["swj_leader", "swj_officer", "expert"]))
    services.campaign_draw(
        actor=admin, campaign=campaign, site_count=2, inspector_pool=pool, inspector_count=2, seed=DEMO_SEED
    )
    items = list(campaign.checklist.current_version.items.all())
    day = max(start, today - dt.timedelta(days=3))
    services.inspection_create(
        actor=admin,
        data={"campaign": campaign, "site": market, "inspected_on": day, "inspectors": pool[:2]},
        answers=[
            {"item": i, "result": AnswerResult.PASS if i.code != "6.2" else AnswerResult.NOT_APPLICABLE} for i in items
        ],
        finish=True,
    )
    answers = [{"item": i, "result": AnswerResult.PASS} for i in items]
    for answer in answers:
        if answer["item"].code == "6.5":
            answer.update(result=AnswerResult.FAIL, note="地下一层超市仅设1个安全出口，另一出口被改作仓库")
    services.inspection_create(
        actor=admin,
        data={"campaign": campaign, "site": mall, "inspected_on": day, "inspectors": pool[:2]},
        answers=answers,
        finish=True,
    )
    return "排查轮次 1 个（双随机抽取 1 次），检查记录 2 条（发现重大隐患 1 条）"
