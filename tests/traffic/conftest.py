"""Fixtures of the 道路交通 tests: the reference site types, users of 区公安分局 (the road
sites' owner) and 区建管委 (a 牵头单位), road spots in two 街道 and schools."""

from __future__ import annotations

import datetime as dt

import pytest

from zhiben.core.testing import make_user
from zhiben.org.choices import Role
from zhiben.registry.models import Site, SiteType
from zhiben.registry.reference import load_files
from zhiben.registry.services import site_create
from zhiben.traffic import services


@pytest.fixture
def today(monkeypatch):
    """Pins django.utils.timezone.now (and so localdate) to 2027-01-15 noon in Shanghai: every
    campaign year is over, and every date of 2024-2026 may be entered."""
    from django.utils import timezone

    moment = timezone.make_aware(dt.datetime(2027, 1, 15, 12, 0))
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment.date()


@pytest.fixture
def traffic(orgs, users):
    load_files()
    types = {t.code: t for t in SiteType.objects.filter(code__in=["road_spot", "school_surroundings"])}
    admin = users["admin"]

    def site(type_code: str, name: str, street: str, **attributes) -> Site:
        return site_create(
            actor=admin,
            data={"site_type": types[type_code], "name": name, "street": orgs[street], "attributes": attributes},
        )

    world = {
        "admin": admin,
        "gafj": make_user("t_gafj", Role.DEPT_OFFICER, orgs["hk-gafj"]),
        "gafj_leader": make_user("t_gafj_leader", Role.DEPT_LEADER, orgs["hk-gafj"]),
        "jgw": make_user("t_jgw", Role.DEPT_OFFICER, orgs["hk-jgw"]),
        "jgw_leader": make_user("t_jgw_leader", Role.DEPT_LEADER, orgs["hk-jgw"]),
        "street": users["street"],  # 北外滩街道
        "other": users["officer"],  # 区商务委: neither owner nor 牵头单位
        "enterprise": users["enterprise"],
        "readonly": users["readonly"],
        "spots": [
            site("road_spot", "东大名路—旅顺路口", "hk-bwt", spot_kind="事故多发点段", road="东大名路"),
            site("road_spot", "旅顺路—长治路口", "hk-bwt", spot_kind="视距不足路口"),
            site("road_spot", "逸仙路下匝道", "hk-jwz", spot_kind="事故多发点段", road="逸仙路"),
            site("road_spot", "汶水东路—纪念路口", "hk-jwz", spot_kind="右转弯事故路口"),
        ],
        "schools": [
            site("school_surroundings", "北外滩小学", "hk-bwt", school="北外滩小学", school_kind="小学", students=600),
            site("school_surroundings", "江湾中学", "hk-jwz", school="江湾中学", school_kind="初中"),
            site("school_surroundings", "北外滩幼儿园", "hk-bwt", school_kind="幼儿园"),
        ],
        "orgs": orgs,
        "site": site,
    }
    world["listing"] = lambda *a, **kw: listing(world, *a, **kw)
    world["advance"] = lambda *a, **kw: advance(world, *a, **kw)
    return world


def listing(t, index: int = 0, *, year: int = 2024, level: str = "district", lead: str = "hk-gafj", actor=None, **data):
    return services.listing_create(
        actor=actor or t["admin"],
        data={
            "site": t["spots"][index],
            "year": year,
            "level": level,
            "accident_count": data.pop("accident_count", 3),
            "lead_org": t["orgs"][lead],
            **data,
        },
    )


def advance(t, item, *steps, actor=None):
    """Make the transitions ``steps`` (names, or (name, data)) with default dates."""
    defaults = {
        "start": {"measures": "增设标志标线", "started_on": dt.date(2024, 3, 1)},
        "complete": {"finished_on": dt.date(2024, 9, 1)},
        "accept": {"accepted_by": "区交安委办公室", "accepted_on": dt.date(2024, 10, 1)},
        "reopen": {},
    }
    rect = item.rectification
    for step in steps:
        name, data = (step, defaults[step]) if isinstance(step, str) else step
        rect = services.rectification_transition(
            actor=actor or t["admin"],
            rectification=rect,
            name=name,
            data=data,
            reason="不合格" if name == "reopen" else "",
        )
    return rect
