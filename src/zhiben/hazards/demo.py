"""Demo hazards for `zhiben demo`, created through the same services as
production (so every one has its audit trail and notifications)."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from zhiben.org.models import Organization, User
from zhiben.registry.models import Sector, Unit

from . import services
from .models import Hazard, HazardCategory


def _photo(name: str, color: tuple[int, int, int]) -> SimpleUploadedFile:
    image = Image.new("RGB", (640, 480), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 600, 440), outline=(255, 255, 255), width=6)
    draw.line((40, 40, 600, 440), fill=(255, 255, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def create_demo_hazards() -> int:
    """A small ledger touching every state; returns how many were created
    (0 when the ledger already has hazards)."""
    if Hazard.objects.exists():
        return 0
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "admin",
                "swj_leader",
                "swj_officer",
                "jgw_officer",
                "qiye_bwt",
                "qiye_jianshe",
                "street_scbl",
                "gdb_officer",
                "sthjj_officer",
            ]
        )
    }
    orgs = {o.code: o for o in Organization.objects.all()}
    sectors = {s.code: s for s in Sector.objects.all()}
    categories = {c.code: c for c in HazardCategory.objects.all()}
    units = list(Unit.objects.order_by("pk"))
    mall, market, site = units[0], units[1], units[2]
    admin = users["admin"]
    today = timezone.localdate()
    plan = {
        "objectives": "彻底消除安全出口封堵隐患，恢复疏散能力",
        "methods": "清理堆物、拆除违规隔断、增设疏散指示",
        "funding": "企业自筹约 12 万元，物资已采购",
        "organization": "商场物业部负责，安全总监牵头",
        "schedule": "30 日内完成，每周报送进度",
        "safety": "整改期间设专人值守，制定临时疏散预案",
    }

    def create(actor, before_files=(), **data):
        base = {"level": "general", "source": "supervision", "difficulty": "easy", "deadline_kind": "date"}
        base.update(data)
        return services.hazard_create(
            actor=users[actor], data=base, before_files=before_files, allow_duplicate=True, notify_owner=False
        )

    def confirm(hazard, actor, days=30, **extra):
        services.hazard_confirm(
            actor=users[actor],
            hazard=hazard,
            requirement=extra.pop("requirement", "按要求整改"),
            deadline_kind="date",
            deadline=today + dt.timedelta(days=days),
            **extra,
        )

    created = 0
    # 1. 存量重大隐患, closed after a full 治理方案
    h = create(
        "swj_leader",
        sector=sectors["commerce"],
        category=categories["fire-tdzd"],
        level="major",
        found_on=dt.date(2023, 11, 8),
        title="商场安全出口被封堵",
        description="负一层两处安全出口被临时隔断封堵",
        unit=mall,
        owner=orgs["hk-swj"],
        difficulty="hard",
        before_files=[_photo("封堵现场.jpg", (160, 40, 40))],
    )
    confirm(h, "swj_leader", days=60)
    services.governance_plan_save(actor=users["qiye_bwt"], hazard=h, parts=plan)
    services.hazard_submit(
        actor=users["qiye_bwt"],
        hazard=h,
        note="隔断已拆除，疏散指示已增设",
        files=[_photo("整改后.jpg", (40, 140, 60))],
    )
    services.hazard_verify_pass(actor=users["swj_leader"], hazard=h, note="现场复核合格")
    created += 1
    # 2. 重大 增量 under 挂牌督办, rectifying
    h = create(
        "swj_officer",
        sector=sectors["commerce"],
        category=categories["fire-tdzd"],
        level="major",
        found_on=today - dt.timedelta(days=20),
        title="农贸市场消防车通道被占用",
        description="市场东侧消防车通道长期停放车辆并搭建雨棚",
        unit=market,
        owner=orgs["hk-swj-scglk"],
        difficulty="very_hard",
    )
    confirm(h, "swj_officer", days=25, level="major")
    services.supervision_open(
        actor=admin,
        hazard=h,
        kind="listed",
        level="district",
        deadline=today + dt.timedelta(days=20),
        requirement="20日内清除雨棚，恢复通道",
    )
    created += 1
    # 3. overdue general hazard found by the 街道
    h = create(
        "street_scbl",
        sector=sectors["commerce"],
        category=categories["fire-tdzd"],
        found_on=today - dt.timedelta(days=40),
        title="沿街商铺“三合一”住人",
        description="四川北路某沿街商铺二层夹层住人，未设独立疏散通道",
        unit_name="四川北路某沿街商铺",
        street=orgs["hk-scbl"],
        owner=orgs["hk-swj-scglk"],
        address="四川北路1600号",
    )
    confirm(h, "swj_officer", days=1)
    Hazard.objects.filter(pk=h.pk).update(deadline=today - dt.timedelta(days=5))
    created += 1
    # 4. construction hazard awaiting verification
    h = create(
        "jgw_officer",
        sector=sectors["construction"],
        category=_first(categories, "cons"),
        found_on=today - dt.timedelta(days=10),
        title="基坑临边防护缺失",
        description="2号基坑东侧临边防护栏杆缺失约15米",
        unit=site,
        owner=orgs["hk-jgw"],
    )
    confirm(h, "jgw_officer", days=7, requirement="立即恢复临边防护")
    services.hazard_submit(
        actor=users["qiye_jianshe"],
        hazard=h,
        note="已恢复防护栏杆并设置警示",
        files=[_photo("防护栏杆.jpg", (40, 90, 160))],
    )
    created += 1
    # 5. pending self-check hazard of an enterprise
    create(
        "qiye_bwt",
        sector=sectors["commerce"],
        category=_first(categories, "gas"),
        source="self_check",
        found_on=today - dt.timedelta(days=2),
        title="餐饮区燃气报警器失效",
        description="三楼餐饮区两处可燃气体报警器自检不响应",
        unit=mall,
        owner=orgs["hk-swj"],
    )
    created += 1
    # 6. a hazard transferred to 区建管委, waiting to be accepted
    h = create(
        "swj_leader",
        sector=sectors["commerce"],
        category=_first(categories, "gas"),
        found_on=today - dt.timedelta(days=5),
        title="燃气管道穿越配电间",
        description="商场配电间内有燃气管道穿越，属燃气管理范畴",
        unit=mall,
        owner=orgs["hk-swj"],
    )
    services.hazard_transfer(
        actor=users["swj_leader"], hazard=h, to_org=orgs["hk-jgw"], reason="燃气设施归区建管委监管"
    )
    created += 1
    # 7. a voided duplicate report
    h = create(
        "swj_leader",
        sector=sectors["commerce"],
        category=categories["fire-tdzd"],
        found_on=today - dt.timedelta(days=3),
        title="疏散通道堆物（重复上报）",
        description="同一处堆物被重复上报",
        unit=mall,
        owner=orgs["hk-swj"],
    )
    services.hazard_void(actor=users["swj_leader"], hazard=h, reason="与已上账隐患重复")
    created += 1
    return created


def _first(categories: dict[str, HazardCategory], prefix: str) -> HazardCategory:
    leaves = sorted(
        (c for code, c in categories.items() if code.startswith(prefix + "-") and not c.children.exists()),
        key=lambda c: c.sort_order,
    )
    return leaves[0]
