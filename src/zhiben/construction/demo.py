"""Demo content of the construction registers for `zhiben demo`, on the registry's demo
建筑工地 (江湾镇场中路住宅项目): 工程信息, 危大工程 (one deep pit in progress, one 高支模
awaiting its 专家论证), two cranes, monitoring points with a week of readings (the last
one of a point beyond its threshold: an alarm, notified), and the 判定依据 of any demo
重大隐患 on the site. Through the services; idempotent (nothing once the site has works)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from zhiben.hazards.choices import HazardLevel
from zhiben.hazards.models import Hazard
from zhiben.org.models import User
from zhiben.registry.models import Site

from . import services
from .models import SITE_TYPE, DangerousWork

DEMO_SITE = "江湾镇场中路住宅项目"


def create_demo_construction() -> str:
    site = Site.objects.filter(name=DEMO_SITE, site_type__code=SITE_TYPE).first()
    admin = User.objects.filter(username="admin").first()
    if site is None or admin is None:
        return "缺少演示工地或账号，未新增"
    if DangerousWork.objects.filter(site=site).exists():
        return "已有危大工程，未新增"
    today = timezone.localdate()
    responsible = list(User.objects.filter(username__in=["jgw_officer"], is_active=True))
    services.project_update(
        actor=admin,
        site=site,
        data={
            "builder": "上海虹口城市更新建设发展有限公司",
            "contractor": site.unit.name if site.unit else "",
            "supervisor": "上海建科工程咨询有限公司",
            "project_manager": "周建国",
        },
        responsible=responsible,
    )
    pit = services.work_create(
        actor=admin,
        data={
            "site": site,
            "name": "1#、2#楼地下室深基坑（开挖深度 9.6m）",
            "work_type": "pit",
            "over_scale": True,
            "scheme_approved_on": today - dt.timedelta(days=70),
            "scheme_approved_by": "施工单位技术负责人 王工；总监理工程师 陈工",
            "expert_review_on": today - dt.timedelta(days=75),
            "expert_conclusion": "pass_revised",
            "monitoring_required": True,
            "status": "in_progress",
        },
    )
    services.work_create(
        actor=admin,
        data={
            "site": site,
            "name": "裙房屋面高大模板支撑体系（搭设高度 9m）",
            "work_type": "formwork",
            "over_scale": True,
            "scheme_approved_on": today - dt.timedelta(days=5),
            "scheme_approved_by": "施工单位技术负责人 王工",
            "note": "待组织专家论证",
        },
    )
    services.crane_create(
        actor=admin,
        data={
            "site": site,
            "crane_type": "tower",
            "record_no": "沪FS-T2024-0365",
            "model_no": "QTZ125（TC6015）",
            "owner_unit": "上海申江建筑机械租赁有限公司",
            "installer": "上海申江建筑机械安装有限公司",
            "install_notified_on": today - dt.timedelta(days=60),
            "inspected_on": today - dt.timedelta(days=50),
            "inspection_result": "pass",
            "inspection_valid_until": today + dt.timedelta(days=20),
            "use_registered_on": today - dt.timedelta(days=45),
            "use_registration_no": "沪DJ-2024-1187",
            "status": "in_use",
        },
    )
    services.crane_create(
        actor=admin,
        data={
            "site": site,
            "crane_type": "hoist",
            "record_no": "沪FS-S2024-0812",
            "model_no": "SC200/200",
            "owner_unit": "上海申江建筑机械租赁有限公司",
            "install_notified_on": today - dt.timedelta(days=3),
            "status": "installing",
        },
    )
    wall = services.point_create(
        actor=admin,
        data={
            "work": pit,
            "code": "ZQS-01",
            "item": "wall_top_h",
            "location": "基坑北侧中部",
            "unit": "mm",
            "alarm_cumulative": Decimal("30"),
            "alarm_rate": Decimal("3"),
        },
    )
    strut = services.point_create(
        actor=admin,
        data={
            "work": pit,
            "code": "ZL-03",
            "item": "strut_force",
            "location": "第一道支撑 3 轴",
            "unit": "kN",
            "alarm_cumulative": Decimal("4800"),
        },
    )
    wall_values = ["12.4", "15.1", "17.8", "20.2", "23.0", "27.6", "31.2"]
    strut_values = ["3120", "3260", "3310", "3405", "3460", "3520", "3580"]
    alarms = 0
    for back, (w, s) in enumerate(zip(wall_values, strut_values, strict=True)):
        day = today - dt.timedelta(days=len(wall_values) - back)
        alarms += services.reading_record(actor=admin, point=wall, data={"measured_on": day, "value": w}).alarm
        services.reading_record(actor=admin, point=strut, data={"measured_on": day, "value": s})
    bases = 0
    for hazard in Hazard.objects.filter(site=site, level=HazardLevel.MAJOR):
        services.hazard_basis_set(
            actor=admin,
            hazard=hazard,
            clause="5",
            item="深基坑施工未进行第三方监测",
            measures="委托第三方监测单位实施监测",
        )
        bases += 1
    return f"危大工程 2 项，起重机械 2 台，监测点 2 个（读数 14 条，报警 {alarms} 次），判定依据 {bases} 条"
