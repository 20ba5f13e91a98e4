"""Demo content of transport for `zhiben demo`: two 道路交通 operators (registered
through the registry's service when missing), their vehicles and drivers, violations
this month and last month (so that the 高风险 list has rows with reasons) and a riders'
violation list for the 红黑榜 — all through the services. Idempotent: does nothing once
a vehicle exists."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from zhiben.core.validators import uscc_check_char
from zhiben.org.models import Organization, User
from zhiben.registry import services as registry_services
from zhiben.registry.models import Sector, Unit

from . import services
from .models import Vehicle

OPERATORS = [
    ("91310109MA1G5Y0T0", "上海虹口旅游客运有限公司", "大连路950号", "hk-qyl", "旅游客运、班线客运"),
    ("91310109MA1G5Y0T1", "上海北外滩建筑垃圾运输有限公司", "东长治路588号", "hk-bwt", "建筑垃圾（渣土）运输"),
]


def _operators(admin: User) -> list[Unit]:
    orgs = {o.code: o for o in Organization.objects.filter(code__in=["hk-gafj", "hk-qyl", "hk-bwt"])}
    sector = Sector.objects.filter(code="road_traffic").first()
    units = []
    for first17, name, address, street, industry in OPERATORS:
        uscc = first17 + uscc_check_char(first17)
        unit = Unit.objects.filter(uscc=uscc).first() or registry_services.unit_create(
            actor=admin,
            name=name,
            uscc=uscc,
            address=address,
            street=orgs.get(street),
            owner=orgs.get("hk-gafj"),
            sector=sector,
            industry_type=industry,
        )
        units.append(unit)
    return units


def create_demo_transport() -> str:
    if Vehicle.objects.exists():
        return "已有车辆，未新增"
    admin = User.objects.filter(username="admin").first()
    if admin is None or not Organization.objects.filter(code="hk-gafj").exists():
        return "缺少演示账号或区公安分局，未新增"
    coach, muck = _operators(admin)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)

    def vehicle(unit, plate, kind, **data):
        return services.vehicle_create(actor=admin, data={"unit": unit, "plate": plate, "vehicle_type": kind, **data})

    def driver(unit, name, licence, **data):
        return services.driver_create(actor=admin, data={"unit": unit, "name": name, "licence_class": licence, **data})

    bus1 = vehicle(
        coach,
        "沪B12345",
        "tourist_charter",
        inspection_due=today + dt.timedelta(days=120),
        insurance_due=today + dt.timedelta(days=200),
    )
    bus2 = vehicle(
        coach,
        "沪B23456",
        "coach_line",
        inspection_due=today - dt.timedelta(days=10),
        insurance_due=today + dt.timedelta(days=90),
        note="演示：年检逾期",
    )
    vehicle(coach, "沪AD12345", "ride_hailing", insurance_due=today + dt.timedelta(days=60))
    truck1 = vehicle(
        muck,
        "沪D34567",
        "muck_truck",
        inspection_due=today + dt.timedelta(days=30),
        insurance_due=today - dt.timedelta(days=3),
        note="演示：保险过期",
    )
    truck2 = vehicle(
        muck,
        "沪D45678",
        "heavy_truck",
        inspection_due=today + dt.timedelta(days=300),
        insurance_due=today + dt.timedelta(days=300),
    )
    wang = driver(
        coach,
        "王建国",
        "A1",
        licence_expiry=today + dt.timedelta(days=900),
        points=3,
        phone="13916612345",
        id_number="310109198003150015",
    )
    li = driver(coach, "李卫东", "A1", licence_expiry=today + dt.timedelta(days=400), points=9, phone="13817723456")
    zhao = driver(muck, "赵大勇", "B2", licence_expiry=today + dt.timedelta(days=600), points=2)

    def violation(day, kind, source="police", **data):
        return services.violation_create(actor=admin, data={"occurred_on": day, "kind": kind, "source": source, **data})

    violation(last_month + dt.timedelta(days=4), "speeding", vehicle=truck2, driver=zhao, points=3)
    violation(last_month + dt.timedelta(days=11), "overload", vehicle=truck2, driver=zhao, points=6)
    violation(last_month + dt.timedelta(days=20), "red_light", vehicle=truck2, driver=zhao, points=6)
    violation(last_month + dt.timedelta(days=8), "fatigue", vehicle=bus1, driver=wang, points=0, source="platform")
    violation(this_month, "speeding_50", vehicle=bus1, driver=li, points=6, note="演示：高速超速 52%")
    violation(this_month, "wrong_lane", vehicle=truck1, points=0, source="self_check")
    del bus2

    riders = [
        ("美团", "北外滩站", "张三", 3, "闯红灯", "罚款20元"),
        ("美团", "北外滩站", "李四", 5, "逆行", "警告"),
        ("美团", "北外滩站", "张三", 9, "不按规定车道行驶", "罚款20元"),
        ("饿了么", "四川北路站", "王五", 6, "闯红灯", "罚款20元"),
        ("顺丰", "江湾镇站", "赵六", 12, "逆行", "警告"),
    ]
    rows = [
        {
            "platform": p,
            "station": st,
            "rider_name": name,
            "occurred_on": last_month + dt.timedelta(days=d),
            "offence": offence,
            "outcome": outcome,
        }
        for p, st, name, d, offence, outcome in riders
    ]
    rows.append(
        {
            "platform": "美团",
            "station": "嘉兴路站",
            "rider_name": "钱七",
            "occurred_on": last_month - dt.timedelta(days=20),
            "offence": "闯红灯",
            "outcome": "罚款20元",
        }
    )
    services.rider_violations_add(actor=admin, rows=rows)
    return f"运输企业 2 家，车辆 {Vehicle.objects.count()} 辆，驾驶员 3 名，违法记录 6 条，骑手违法 6 条"
