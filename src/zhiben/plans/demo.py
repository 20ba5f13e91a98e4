"""Demo content for `zhiben demo`: the eight real sector plans imported through the
same service as production (idempotent: the same documents change
nothing), then a few monthly reports, obligation fulfilments and an
indicator value through the services, so the pages show real content."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from zhiben.org.models import Organization, User

from . import services
from .models import Indicator, ObligationInstance, Plan, ProgressReport, Task
from .parsing import parse_plan_file


def _photo(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 120, 180)).save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def import_demo_plans(actor=None) -> dict[str, int]:
    counts = {"created": 0, "unchanged": 0, "revision": 0, "updated": 0}
    for path in sorted(Path(settings.DATA_DIR, "plans").glob("*.txt")):
        # Each plan's owner is its sector's 主管部门 (data/sectors.yaml).
        outcome = services.plan_import(actor=actor, data=parse_plan_file(path), source_name=path.name)
        counts[outcome.kind] += 1
    return counts


def create_demo_plans() -> str:
    admin = User.objects.filter(username="admin").first()
    counts = import_demo_plans(admin)
    made = 0
    if not ProgressReport.objects.exists():
        made = _demo_activity()
    return f"方案新导入 {counts['created']} 个、未变 {counts['unchanged']} 个；演示报送与完成记录 {made} 条"


def _demo_activity() -> int:
    users = {u.username: u for u in User.objects.filter(username__in=["swj_leader", "swj_officer", "sthjj_officer"])}
    if len(users) < 3:
        return 0
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    made = 0
    commerce = Plan.objects.filter(owner__code="hk-swj").first()
    if commerce is not None and commerce.period_start <= last_month <= commerce.period_end:
        section = Organization.objects.get(code="hk-swj-scglk")
        task = Task.objects.filter(plan=commerce, units__organization=section).first()
        if task is not None:
            report = services.report_save(
                actor=users["swj_officer"],
                task=task,
                organization=section,
                month=last_month,
                summary="完成农贸市场、餐饮场所燃气安全专项检查 32 家，督促整改隐患 11 处。",
            )
            services.report_submit(actor=users["swj_officer"], report=report)
            services.report_accept(actor=users["swj_leader"], report=report)
            report = services.report_save(
                actor=users["swj_officer"],
                task=task,
                organization=section,
                month=this_month,
                summary="推进再生资源回收站点消防安全排查，已检查 15 个站点。",
            )
            services.report_submit(actor=users["swj_officer"], report=report)
            made += 2
        owner_task = Task.objects.filter(plan=commerce, units__organization__code="hk-swj").first()
        if owner_task is not None:
            report = services.report_save(
                actor=users["swj_leader"],
                task=owner_task,
                organization=Organization.objects.get(code="hk-swj"),
                month=this_month,
                summary="党组会专题研究安全生产一次，部署岁末年初安全检查。",
            )
            made += 1
        for instance in ObligationInstance.objects.filter(
            obligation__plan=commerce, obligation__task__isnull=True, due_date__lt=today
        ).order_by("-due_date")[:2]:
            services.instance_fulfil(
                actor=users["swj_leader"],
                instance=instance,
                note="已按要求开展并报送",
                files=[_photo(f"{instance.label}.jpg")],
            )
            made += 1
    indicator = Indicator.objects.filter(task__plan__owner__code="hk-sthjj").first()
    if indicator is not None and indicator.target_date:
        services.indicator_record(
            actor=users["sthjj_officer"],
            indicator=indicator,
            value=indicator.target_value,
            measured_on=min(indicator.target_date, today),
            note="已培树典型企业",
            files=[_photo("典型企业名单.jpg")],
        )
        made += 1
    return made
