"""Demo tips for `zhiben demo`, created through the services (so each has its
audit trail and notifications). Idempotent: nothing is added when tips exist."""

from __future__ import annotations

from django.utils import timezone

from zhiben.org.choices import Role
from zhiben.org.models import Organization, User
from zhiben.registry.models import Site, Unit

from . import services
from .choices import TipChannel
from .models import Tip


def create_demo_tips() -> str:
    if Tip.objects.exists():
        return "已有举报，未新增"
    site = Site.objects.filter(is_active=True).select_related("street").order_by("pk").first()
    street = Organization.objects.filter(code="hk-bwt").first()
    services.tip_submit(
        actor=None,
        data={
            "channel": TipChannel.WEB,
            "text": "商场地下一层消防通道被杂物和电动车堵住，晚上人很多，担心出事。",
            "place": "" if site else "北外滩某商场地下一层",
            "street": None if site else street,
            "site": site,
            "reporter_name": "",
            "reporter_phone": "",
        },
    )
    actor = (
        User.objects.filter(username="swj_officer", is_active=True).first()
        or User.objects.filter(is_superuser=True, is_active=True).first()
        or User.objects.filter(memberships__role=Role.DISTRICT_ADMIN, memberships__is_active=True, is_active=True)
        .order_by("pk")
        .first()
    )
    if actor is None:
        return "举报 1 条（无工作人员账号，未登记 12345 举报）"
    unit = Unit.objects.order_by("pk").first()
    services.tip_submit(
        actor=actor,
        data={
            "channel": TipChannel.HOTLINE,
            "external_ref": "12345-DEMO-0001",
            "received_on": timezone.localdate(),
            "text": "市民来电反映：某餐饮店后厨液化气钢瓶放在过道里，软管老化。",
            "place": "餐饮店后厨",
            "unit": unit,
            "street": unit.street if unit else street,
            "site": None,
            "reporter_name": "张先生",
            "reporter_phone": "13800001234",
        },
    )
    return "举报 2 条（网页匿名 1 条，12345 热线 1 条）"
