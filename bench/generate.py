"""Synthetic hazard ledger for the benchmarks — NOT demo data, NOT an importer.

It bypasses the services on purpose: no validation, no audit rows, no
notifications, no evidence files. Hazards are written with ``bulk_create`` in
batches of ~5,000 rows, one transaction per batch, together with the rows
that hang off them (督办, 移交, 治理方案, 回头看) and the ``HazardCodeSequence``
rows, so that hazard codes stay consistent with what ``hazard_create`` would
hand out next. Timestamps (created_at, opened_at …) are backdated, so the
``auto_now``/``auto_now_add`` fields are switched off while writing.

What the data looks like (deterministic for a given ``--seed``):

* reference data first: organizations (data/organizations.yaml), the 11
  sectors and the category taxonomy (every leaf category is used, only for
  sectors it belongs to);
* owners spread over the departments, their 科室 and the 8 街道 (60 % the
  sector's own department or one of its 科室, 25 % the 街道 the hazard is in,
  15 % another department); 97 % of hazards have a 街道, 70 % a registered unit
  (units: one per 40 hazards);
* ~10 % 重大; found_on from 2022-01-01 to 2026-11-28, denser from 2024 on and
  roughly increasing with the id (the ledger is filled in chronological
  order), so ~25 % are 存量;
* statuses by age: most old hazards are 已销号 (with closed_at, verified_by,
  submitted_at, confirmed_at), ~3 % 已作废 (voided_at), the rest open; open
  hazards have a 整改时限 (except most 待确认), older ones are overdue;
* active 督办 on ~1.5 % of open hazards (8 % of open 重大, more when overdue),
  ended 督办 on some closed ones; a pending 移交 per 移交中 hazard; a
  治理方案 for every 重大 hazard that was submitted; ~0.5 % of closed hazards
  drawn for 回头看 (6 % of those failed, i.e. reopened hazards);
* users: ``bench_admin`` (区安委办管理员), ``bench_officer`` (区商务委 部门经办人)
  and one staff user per owner organization (assignees, verifiers).

Usage (against whatever database the settings point at, e.g. DATABASE_URL)::

    DJANGO_SETTINGS_MODULE=zhiben.config.settings.test \\
        .venv/bin/python bench/generate.py --count 1000000

Only the rows missing up to ``--count`` are added, so an interrupted run can be
resumed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

BATCH_SIZE = 5000
DEFAULT_SEED = 20261128
PASSWORD = "Bench@Pass2026"

START = dt.date(2022, 1, 1)
END = dt.date(2026, 11, 28)
# Share of hazards found in each period (the 三年行动 starts in 2024).
PERIODS = [
    (dt.date(2022, 1, 1), dt.date(2022, 12, 31), 0.10),
    (dt.date(2023, 1, 1), dt.date(2023, 12, 31), 0.15),
    (dt.date(2024, 1, 1), dt.date(2024, 12, 31), 0.27),
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31), 0.28),
    (dt.date(2026, 1, 1), END, 0.20),
]

SECTOR_WEIGHTS = {
    "commerce": 17,
    "construction": 13,
    "fire": 14,
    "road_traffic": 8,
    "gas": 8,
    "economy": 9,
    "ecology": 6,
    "civil_defense": 6,
    "health": 6,
    "greening": 7,
    "general": 6,
}
# Departments (and their 科室) that own a sector's hazards. Sectors whose
# owner is external (fire) or unknown (economy) go to 区应急局 and others.
SECTOR_OWNERS = {
    "commerce": ["hk-swj", "hk-swj-scglk", "hk-swj-syfzk", "hk-swj-qyxtfwk", "hk-swj-lyspk", "hk-swj-wzcbk"],
    "construction": ["hk-jgw"],
    "fire": ["hk-yjj"],
    "road_traffic": ["hk-gafj", "hk-jawb"],
    "gas": ["hk-jgw"],
    "economy": ["hk-yjj", "hk-scjgj"],
    "ecology": ["hk-sthjj", "hk-sthjj-zfdd", "hk-sthjj-fsyjk", "hk-sthjj-jcz"],
    "civil_defense": ["hk-gdb", "hk-gdb-fhgck", "hk-gdb-mfglzx", "hk-gdb-mfbzzx"],
    "health": ["hk-wjw"],
    "greening": ["hk-lhsrj"],
    "general": ["hk-awb", "hk-yjj"],
}
OTHER_OWNERS = ["hk-scjgj", "hk-cgzfj", "hk-jyj", "hk-wlj", "hk-fgj", "hk-yjj", "hk-wjw", "hk-czj", "hk-dklb"]
STREET_WEIGHTS = {
    "hk-scbl": 16,
    "hk-bwt": 14,
    "hk-jxl": 11,
    "hk-oyl": 10,
    "hk-gzl": 12,
    "hk-qyl": 13,
    "hk-lcxc": 9,
    "hk-jwz": 15,
}
SOURCES = {
    "supervision": 35,
    "self_check": 25,
    "third_party": 15,
    "enforcement": 10,
    "report": 5,
    "recheck": 3,
    "other": 7,
}
DIFFICULTIES = {"easy": 70, "hard": 22, "very_hard": 8}

PROBLEMS = [
    "疏散通道堆放杂物",
    "安全出口锁闭",
    "灭火器压力不足未更换",
    "室内消火栓箱被遮挡",
    "应急照明灯损坏",
    "电气线路私拉乱接",
    "配电箱未上锁且无警示标志",
    "燃气软管老化开裂",
    "可燃气体报警器失效",
    "液化气钢瓶违规存放",
    "有限空间作业未审批",
    "有限空间未设置警示标识",
    "安全警示标志缺失",
    "应急预案未按期演练",
    "特种作业人员无证上岗",
    "脚手架连墙件缺失",
    "临边洞口防护缺失",
    "塔吊限位装置失效",
    "危险废物贮存不规范",
    "危险化学品台账不全",
    "电动自行车在楼道内充电",
    "电动自行车违规停放",
    "人防工程渗漏积水",
    "地下空间违规住人",
    "户外广告牌松动",
    "安全生产责任制未落实",
    "安全培训记录缺失",
    "油烟管道未定期清洗",
    "防火门常闭功能失效",
    "货架超高堆放",
    "叉车未年检",
    "交通标志标线缺损",
    "施工围挡破损",
    "环保设施运行不正常",
    "树木倾斜存在倒伏风险",
    "消防控制室无人值守",
]
PLACES = [
    "一层大厅",
    "二层东侧疏散通道",
    "地下车库",
    "厨房操作间",
    "配电间",
    "屋顶平台",
    "仓库",
    "施工现场北侧",
    "地下一层",
    "楼梯间",
    "后院",
    "设备机房",
    "三层办公区",
    "沿街商铺",
    "人防出入口",
]
DETAILS = [
    "现场检查发现",
    "群众举报反映",
    "第三方机构排查发现",
    "企业自查上报",
    "复查时再次发现",
]
RISKS = [
    "存在火灾风险",
    "影响人员安全疏散",
    "存在触电风险",
    "存在燃气泄漏风险",
    "存在高处坠落风险",
    "存在中毒窒息风险",
    "存在坍塌风险",
    "不符合相关规范要求",
]
REQUIREMENTS = [
    "立即清理，保持畅通，整改后上传照片",
    "限期更换并建立检查台账",
    "按规范重新敷设线路，由持证电工施工",
    "落实专人管理，完善审批和警示措施",
    "组织专项培训并补齐记录",
    "停止违规行为，落实整改并复查",
]
UNIT_PREFIX = ["上海", "虹口", "海纳", "瑞虹", "鑫源", "金叶", "恒丰", "嘉信", "北外滩", "宏达", "永安", "华联", "广中"]
UNIT_MIDDLE = [
    "商贸",
    "餐饮管理",
    "建设工程",
    "物业管理",
    "酒店管理",
    "物流",
    "科技",
    "实业",
    "文化传媒",
    "超市",
    "汽车维修",
]
UNIT_SUFFIX = ["有限公司", "有限责任公司", "股份有限公司", "分公司", "经营部"]
SHOPS = ["小吃店", "便利店", "五金店", "理发店", "水果店", "洗衣店", "烟杂店", "面馆"]
ROADS = [
    "四川北路",
    "海宁路",
    "武进路",
    "东长治路",
    "大连路",
    "曲阳路",
    "广中路",
    "欧阳路",
    "凉城路",
    "江湾路",
    "西江湾路",
    "中山北一路",
    "天宝路",
    "花园路",
    "溧阳路",
    "多伦路",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华平刚桂兰玉建国文辉"
THIRD_PARTIES = [
    "上海安正安全技术咨询有限公司",
    "上海城安检测有限公司",
    "虹口区消防技术服务中心",
    "华东安全评价有限公司",
]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiben.config.settings.test")
    import django

    django.setup()


@dataclass
class Reference:
    """Everything the generator picks from (ids only)."""

    orgs: dict[str, int]
    org_paths: dict[int, str]
    sectors: dict[str, int]
    leaves_by_sector: dict[str, list[tuple[int, str]]]  # sector code -> [(category id, name)]
    users: dict[str, int]  # username -> id
    staff_by_org: dict[int, list[int]]  # owner org id -> staff user ids
    admin_id: int = 0
    units: list[tuple] = field(default_factory=list)  # (id, name, uscc, address, street_id, owner_id)


def load_reference_data() -> None:
    """Organizations, sectors and categories (idempotent, by code)."""
    from zhiben.hazards.reference import load_files
    from zhiben.org.services import organizations_load_file

    organizations_load_file()
    load_files()


def ensure_users() -> dict[str, int]:
    """The users the benchmarks log in as, plus one staff user per owner
    organization (assignees, verifiers, registrars). Idempotent."""
    from zhiben.org.choices import OrgKind, Role
    from zhiben.org.models import Membership, Organization, User

    wanted: list[tuple[str, str, str]] = [
        ("bench_admin", Role.DISTRICT_ADMIN, "hk-awb"),
        ("bench_officer", Role.DEPT_OFFICER, "hk-swj"),
    ]
    owner_codes = sorted({c for codes in SECTOR_OWNERS.values() for c in codes} | set(OTHER_OWNERS))
    wanted += [(f"bench_{code}", Role.DEPT_OFFICER, code) for code in owner_codes]
    wanted += [(f"bench_{code}", Role.STREET_OFFICER, code) for code in STREET_WEIGHTS]
    orgs = {o.code: o for o in Organization.objects.filter(code__in=[w[2] for w in wanted])}
    ids = {}
    for username, role, org_code in wanted:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=PASSWORD, display_name=username)
            Membership.objects.create(user=user, organization=orgs[org_code], role=role)
        ids[username] = user.pk
    assert all(orgs[c].kind != OrgKind.EXTERNAL for _, _, c in wanted)
    return ids


def reference() -> Reference:
    from zhiben.hazards.models import HazardCategory
    from zhiben.org.models import Organization
    from zhiben.registry.models import Sector

    orgs = dict(Organization.objects.values_list("code", "pk"))
    org_paths = dict(Organization.objects.values_list("pk", "path"))
    sectors = dict(Sector.objects.values_list("code", "pk"))
    missing = set(SECTOR_WEIGHTS) - set(sectors)
    if missing:
        raise SystemExit(f"sectors missing from data/sectors.yaml: {sorted(missing)}")
    categories = list(HazardCategory.objects.filter(is_active=True).prefetch_related("sectors"))
    by_id = {c.pk: c for c in categories}
    parents = {c.parent_id for c in categories if c.parent_id}
    leaves_by_sector: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for c in categories:
        if c.pk in parents:
            continue  # not a leaf
        root = c
        while root.parent_id:  # the taxonomy is 2–3 levels deep
            root = by_id[root.parent_id]
        codes = set(sectors) if root.for_all_sectors else {s.code for s in root.sectors.all()}
        for code in codes:
            leaves_by_sector[code].append((c.pk, c.name))
    for code in SECTOR_WEIGHTS:
        leaves_by_sector[code].sort()
        if not leaves_by_sector[code]:
            raise SystemExit(f"no leaf category for sector {code}")
    users = ensure_users()
    from zhiben.org.models import Membership

    staff_by_org: dict[int, list[int]] = defaultdict(list)
    for user_id, org_id in Membership.objects.filter(user_id__in=users.values()).values_list(
        "user_id", "organization_id"
    ):
        staff_by_org[org_id].append(user_id)
    return Reference(
        orgs=orgs,
        org_paths=org_paths,
        sectors=sectors,
        leaves_by_sector=dict(leaves_by_sector),
        users=users,
        staff_by_org=dict(staff_by_org),
        admin_id=users["bench_admin"],
    )


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def _address(rng: random.Random) -> str:
    return f"上海市虹口区{rng.choice(ROADS)}{rng.randint(1, 2000)}号"


def ensure_units(ref: Reference, wanted: int, seed: int) -> None:
    """One registered unit per ~40 hazards (bulk, idempotent by count)."""
    from django.db import transaction

    from zhiben.core.testing import make_uscc
    from zhiben.registry.models import Unit

    has_sector = any(f.name == "sector" for f in Unit._meta.get_fields())
    have = Unit.objects.filter(uscc__startswith="91310109MA").count()
    if have < wanted:
        rng = random.Random(f"{seed}:units:{have}")
        streets = list(STREET_WEIGHTS)
        sector_codes = list(SECTOR_WEIGHTS)
        rows = []
        for i in range(have, wanted):
            sector = rng.choices(sector_codes, weights=list(SECTOR_WEIGHTS.values()))[0]
            owner_code = SECTOR_OWNERS[sector][0]
            name = f"{rng.choice(UNIT_PREFIX)}{rng.choice(UNIT_MIDDLE)}{rng.choice(UNIT_SUFFIX)}"
            if rng.random() < 0.5:
                name = f"{name}（{rng.choice(ROADS)}{i % 97 + 1}号店）"
            unit = Unit(
                name=name,
                uscc=make_uscc(1_000_000 + i),
                address=_address(rng),
                street_id=ref.orgs[rng.choices(streets, weights=list(STREET_WEIGHTS.values()))[0]],
                owner_id=ref.orgs[owner_code],
            )
            if has_sector:
                unit.sector_id = ref.sectors[sector]
            rows.append(unit)
        with transaction.atomic():
            Unit.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    ref.units = list(
        Unit.objects.filter(uscc__startswith="91310109MA")
        .order_by("pk")
        .values_list("pk", "name", "uscc", "address", "street_id", "owner_id")
    )


def _found_on(index: int, count: int, rng: random.Random) -> dt.date:
    """Roughly chronological with the index, denser from 2024, ±20 days."""
    u = (index + 0.5) / count
    acc = 0.0
    day = END
    for start, end, share in PERIODS:
        if u <= acc + share:
            span = (end - start).days
            day = start + dt.timedelta(days=int((u - acc) / share * span))
            break
        acc += share
    day += dt.timedelta(days=rng.randint(-20, 20))
    return min(max(day, START), END)


@contextlib.contextmanager
def backdating():
    """Switch off auto_now/auto_now_add so that generated timestamps stay."""
    from zhiben.hazards.models import GovernancePlan, Hazard, RecheckBatch, Supervision, Transfer

    fields = [
        Hazard._meta.get_field("created_at"),
        Supervision._meta.get_field("opened_at"),
        Transfer._meta.get_field("requested_at"),
        RecheckBatch._meta.get_field("drawn_at"),
        GovernancePlan._meta.get_field("updated_at"),
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class BatchBuilder:
    """Builds one batch of hazards and the rows attached to them."""

    def __init__(self, ref: Reference, count: int, seed: int, now: dt.datetime):
        from django.utils import timezone

        self.ref = ref
        self.count = count
        self.seed = seed
        self.now = now
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()
        self.streets = [ref.orgs[c] for c in STREET_WEIGHTS]
        self.street_weights = list(STREET_WEIGHTS.values())
        self.owner_choices = {s: [ref.orgs[c] for c in codes] for s, codes in SECTOR_OWNERS.items()}
        self.other_owners = [ref.orgs[c] for c in OTHER_OWNERS]
        self.all_owners = sorted({o for v in self.owner_choices.values() for o in v} | set(self.other_owners))
        self.verifiers = ref.staff_by_org
        self.units_by_owner_street: dict[tuple[int, int], list[tuple]] = defaultdict(list)
        for unit in ref.units:
            self.units_by_owner_street[(unit[5], unit[4])].append(unit)

    def at(self, day: dt.date, rng: random.Random) -> dt.datetime:
        moment = dt.datetime.combine(day, dt.time(rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59)))
        return min(moment.replace(tzinfo=self.tz), self.now - dt.timedelta(minutes=rng.randint(1, 600)))

    def staff(self, org_id: int, rng: random.Random) -> int:
        staff = self.verifiers.get(org_id)
        return rng.choice(staff) if staff else self.ref.admin_id

    def build(self, start: int, stop: int, codes: dict[int, int]):
        """Hazards for indices [start, stop) and a list of callbacks that,
        given the saved hazards, return the attached rows."""
        from zhiben.hazards.models import Hazard

        rng = random.Random(f"{self.seed}:{start}")
        hazards: list[Hazard] = []
        extras: list[dict] = []
        for index in range(start, stop):
            hazard, extra = self.one(index, rng, codes)
            hazards.append(hazard)
            extras.append(extra)
        return hazards, extras

    def one(self, index: int, rng: random.Random, codes: dict[int, int]):
        from zhiben.hazards.choices import STOCK_CUTOFF
        from zhiben.hazards.models import Hazard

        ref = self.ref
        sector = _weighted(rng, SECTOR_WEIGHTS)
        leaves = ref.leaves_by_sector[sector]
        # A few categories are much more common than others (Zipf-like).
        if rng.random() < 0.5:
            category_id, category_name = leaves[min(int(rng.paretovariate(1.2)) - 1, len(leaves) - 1)]
        else:
            category_id, category_name = rng.choice(leaves)
        found_on = _found_on(index, self.count, rng)
        age = (self.today - found_on).days
        level = "major" if rng.random() < 0.10 else "general"
        street_id = rng.choices(self.streets, weights=self.street_weights)[0] if rng.random() < 0.97 else None
        r = rng.random()
        if r < 0.60:
            owner_id = rng.choice(self.owner_choices[sector])
        elif r < 0.85 and street_id is not None:
            owner_id = street_id
        else:
            owner_id = rng.choice(self.other_owners)
        unit = None
        if rng.random() < 0.70:
            candidates = self.units_by_owner_street.get((owner_id, street_id)) or ref.units
            unit = rng.choice(candidates) if candidates else None
        if unit is not None:
            unit_id, unit_name, uscc, address = unit[0], unit[1], unit[2], unit[3]
            street_id = street_id or unit[4]
        else:
            unit_id, uscc, address = None, "", _address(rng)
            unit_name = f"{rng.choice(ROADS)}{rng.randint(1, 999)}号{rng.choice(SHOPS)}"
        problem = rng.choice(PROBLEMS)
        place = rng.choice(PLACES)
        title = f"{place}{problem}"[:120]
        description = (
            f"{rng.choice(DETAILS)}，{unit_name}{place}{problem}，{rng.choice(RISKS)}。"
            f"隐患类别：{category_name}。{rng.choice(RISKS)}，需督促责任单位落实整改。"
        )

        # Status by age (and level: 重大 stock is mostly cleared).
        if age > 730:
            p_closed, p_void = (0.99 if level == "major" else 0.985), 0.01
        elif age > 365:
            p_closed, p_void = (0.975 if level == "major" else 0.955), 0.03
        elif age > 90:
            p_closed, p_void = 0.85, 0.03
        elif age > 30:
            p_closed, p_void = 0.60, 0.03
        else:
            p_closed, p_void = 0.20, 0.02
        r = rng.random()
        if r < p_closed:
            status = "closed"
        elif r < p_closed + p_void:
            status = "void"
        else:
            r = rng.random()
            if age < 14:
                status = (
                    "pending" if r < 0.35 else "rectifying" if r < 0.85 else "awaiting" if r < 0.97 else "transferring"
                )
            else:
                status = (
                    "pending" if r < 0.03 else "rectifying" if r < 0.83 else "awaiting" if r < 0.97 else "transferring"
                )

        deadline_kind = "immediate" if rng.random() < 0.15 else "date"
        created_at = self.at(found_on + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2, 3))), rng)
        confirmed_at = submitted_at = closed_at = voided_at = None
        deadline = None
        verified_by_id = None
        rectification_note = requirement = ""
        pending_owner_id = None
        version = 1
        confirmed = status in ("rectifying", "awaiting", "closed") or (
            status in ("void", "transferring") and rng.random() < 0.6
        )
        if confirmed:
            confirmed_at = max(self.at(found_on + dt.timedelta(days=rng.randint(0, 5)), rng), created_at)
            requirement = rng.choice(REQUIREMENTS)
            if deadline_kind == "immediate":
                deadline = confirmed_at.astimezone(self.tz).date()
            else:
                deadline = found_on + dt.timedelta(days=rng.choice((7, 15, 15, 30, 30, 30, 60, 90, 180)))
            version += 1
        elif deadline_kind == "immediate":
            deadline = found_on
        if status in ("awaiting", "closed"):
            late = rng.random() < 0.15
            rect_days = rng.randint(1, 40) + (rng.randint(20, 200) if late else 0)
            submitted_at = max(self.at(found_on + dt.timedelta(days=rect_days), rng), confirmed_at)
            rectification_note = "已按整改要求完成整改，整改前后照片已上传"
            version += 1
        if status == "closed":
            closed_at = max(
                self.at(submitted_at.astimezone(self.tz).date() + dt.timedelta(days=rng.randint(0, 10)), rng),
                submitted_at,
            )
            verified_by_id = self.staff(owner_id, rng)
            version += 1
        if status == "void":
            voided_at = max(self.at(found_on + dt.timedelta(days=rng.randint(1, 60)), rng), confirmed_at or created_at)
            version += 1
        if status == "transferring":
            pending_owner_id = rng.choice([o for o in self.all_owners if o != owner_id])
            version += 1

        if unit_id is None and rng.random() < 0.3:
            finder_id, finder_name = None, rng.choice(THIRD_PARTIES)
        else:
            finder_id, finder_name = self.staff(owner_id, rng), ""
        year = found_on.year
        codes[year] = codes.get(year, 0) + 1
        hazard = Hazard(
            code=f"YH-{year}-{codes[year]:06d}",
            status=status,
            sector_id=ref.sectors[sector],
            category_id=category_id,
            level=level,
            source=_weighted(rng, SOURCES),
            difficulty=_weighted(rng, DIFFICULTIES),
            found_on=found_on,
            is_stock=found_on <= STOCK_CUTOFF,
            finder_id=finder_id,
            finder_name=finder_name,
            title=title,
            description=description,
            location=place,
            requirement=requirement,
            deadline_kind=deadline_kind,
            deadline=deadline,
            unit_id=unit_id,
            unit_name=unit_name,
            unit_uscc=uscc,
            address=address,
            responsible_person=_person(rng),
            responsible_phone=_phone(rng),
            street_id=street_id,
            owner_id=owner_id,
            assignee_id=self.staff(owner_id, rng) if status != "pending" and rng.random() < 0.6 else None,
            pending_owner_id=pending_owner_id,
            created_at=created_at,
            created_by_id=self.staff(owner_id, rng),
            confirmed_at=confirmed_at,
            submitted_at=submitted_at,
            rectification_note=rectification_note,
            closed_at=closed_at,
            verified_by_id=verified_by_id,
            voided_at=voided_at,
            reopen_count=0,
            version=version,
        )

        extra: dict = {}
        is_open = status in ("pending", "rectifying", "awaiting", "transferring")
        overdue = is_open and deadline is not None and deadline < self.today
        p_supervise = (0.08 if level == "major" else 0.012) + (0.03 if overdue else 0.0)
        if is_open and rng.random() < p_supervise:
            opened = self.at(found_on + dt.timedelta(days=rng.randint(5, 60)), rng)
            extra["supervision"] = (opened, True, None)
        elif status == "closed" and rng.random() < 0.02:
            opened = min(self.at(found_on + dt.timedelta(days=rng.randint(3, 30)), rng), closed_at)
            extra["supervision"] = (opened, False, closed_at)
        elif status == "void" and rng.random() < 0.01:
            opened = min(self.at(found_on + dt.timedelta(days=rng.randint(1, 10)), rng), voided_at)
            extra["supervision"] = (opened, False, voided_at)
        if status == "transferring":
            extra["transfer"] = (
                self.at(found_on + dt.timedelta(days=rng.randint(1, 10)), rng),
                "rectifying" if confirmed else "pending",
            )
        if level == "major" and status in ("awaiting", "closed"):
            extra["plan"] = True
        if status == "closed" and rng.random() < 0.005:
            checked_day = closed_at.astimezone(self.tz).date() + dt.timedelta(days=rng.randint(30, 180))
            if checked_day < self.today:
                checked_at = self.at(checked_day, rng)
                r = rng.random()
                result = "failed" if r < 0.06 else "pending" if r < 0.10 else "passed"
                extra["recheck"] = (result, checked_at if result != "pending" else None, closed_at)
                if result == "failed":
                    # 返潮: reopened, back to 整改中 with a new deadline.
                    hazard.status = "rectifying"
                    hazard.reopen_count = 1
                    hazard.closed_at = hazard.verified_by_id = hazard.submitted_at = None
                    hazard.deadline_kind = "date"
                    hazard.deadline = checked_day + dt.timedelta(days=30)
                    hazard.version += 1
                    extra.pop("supervision", None)
        extra["rng"] = rng.random()
        return hazard, extra

    def attached(self, hazards, extras) -> dict[str, list]:
        """The rows that hang off the (saved) hazards."""
        from zhiben.hazards.models import GovernancePlan, Supervision, Transfer

        supervisions, transfers, plans = [], [], []
        rechecks: dict[int, list] = defaultdict(list)
        for hazard, extra in zip(hazards, extras, strict=True):
            rng = random.Random(extra["rng"])
            if "supervision" in extra:
                opened, active, ended = extra["supervision"]
                kind = "listed" if rng.random() < 0.3 else "supervised"
                supervisions.append(
                    Supervision(
                        hazard_id=hazard.pk,
                        kind=kind,
                        level="city" if rng.random() < 0.15 else "district",
                        deadline=opened.astimezone(self.tz).date() + dt.timedelta(days=rng.choice((15, 30, 30, 60))),
                        requirement="请于督办期限内完成整改并反馈",
                        opened_at=opened,
                        opened_by_id=self.ref.admin_id,
                        is_active=active,
                        closed_at=ended,
                    )
                )
            if "transfer" in extra:
                requested, previous = extra["transfer"]
                transfers.append(
                    Transfer(
                        hazard_id=hazard.pk,
                        from_org_id=hazard.owner_id,
                        to_org_id=hazard.pending_owner_id,
                        reason="属贵单位监管范围，请接收",
                        previous_status=previous,
                        status="pending",
                        requested_by_id=self.staff(hazard.owner_id, rng),
                        requested_at=requested,
                    )
                )
            if "plan" in extra:
                plans.append(
                    GovernancePlan(
                        hazard_id=hazard.pk,
                        objectives="消除重大事故隐患",
                        methods="制定专项整改措施，分步实施",
                        funding="企业自筹",
                        organization="企业主要负责人牵头，安全管理部门落实",
                        schedule="按整改时限完成",
                        safety="整改期间落实监控和警示措施，制定应急预案",
                        updated_at=hazard.confirmed_at,
                        updated_by_id=self.staff(hazard.owner_id, rng),
                    )
                )
            if "recheck" in extra:
                rechecks[hazard.owner_id].append((hazard, extra["recheck"]))
        return {"supervisions": supervisions, "transfers": transfers, "plans": plans, "rechecks": rechecks}


def generate(
    count: int,
    *,
    batch_size: int = BATCH_SIZE,
    seed: int = DEFAULT_SEED,
    log=print,
) -> dict:
    """Add hazards until there are ``count``; returns what was done."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from zhiben.hazards.models import (
        GovernancePlan,
        Hazard,
        HazardCodeSequence,
        RecheckBatch,
        RecheckItem,
        Supervision,
        Transfer,
    )

    started = time.perf_counter()
    load_reference_data()
    ref = reference()
    existing = Hazard.objects.count()
    if existing >= count:
        log(f"generate: {existing:,} hazards already, nothing to add")
        return {"added": 0, "existing": existing, "seconds": time.perf_counter() - started}
    ensure_units(ref, max(100, count // 40), seed)
    codes = dict(HazardCodeSequence.objects.values_list("year", "last"))
    # Codes handed out beyond the sequence (should not happen) are skipped.
    for year in range(START.year, END.year + 1):
        top = Hazard.objects.filter(code__startswith=f"YH-{year}-").aggregate(m=Max("code"))["m"]
        if top:
            codes[year] = max(codes.get(year, 0), int(top.rsplit("-", 1)[1]))
    now = timezone.now()
    builder = BatchBuilder(ref, count, seed, now)
    totals: Counter = Counter()
    log(
        f"generate: {existing:,} → {count:,} hazards on {connection.vendor} "
        f"({connection.settings_dict['NAME']}), batches of {batch_size:,}"
    )
    last_log = time.perf_counter()
    with backdating():
        for start in range(existing, count, batch_size):
            stop = min(start + batch_size, count)
            hazards, extras = builder.build(start, stop, codes)
            with transaction.atomic():
                Hazard.objects.bulk_create(hazards, batch_size=batch_size)
                rows = builder.attached(hazards, extras)
                Supervision.objects.bulk_create(rows["supervisions"], batch_size=batch_size)
                Transfer.objects.bulk_create(rows["transfers"], batch_size=batch_size)
                GovernancePlan.objects.bulk_create(rows["plans"], batch_size=batch_size)
                for owner_id, items in rows["rechecks"].items():
                    closed = [c for _, (_, _, c) in items]
                    batch = RecheckBatch.objects.create(
                        organization_id=owner_id,
                        period_start=min(closed).astimezone(builder.tz).date(),
                        period_end=max(closed).astimezone(builder.tz).date(),
                        percent=5,
                        seed=f"bench-{seed}-{start}-{owner_id}",
                        population=len(items) * 20,
                        drawn_at=min(min(closed) + dt.timedelta(days=30), now),
                        drawn_by_id=ref.admin_id,
                    )
                    RecheckItem.objects.bulk_create(
                        [
                            RecheckItem(
                                batch=batch,
                                hazard_id=h.pk,
                                result=result,
                                note="" if result == "pending" else "复查情况已记录",
                                checked_by_id=None if result == "pending" else ref.admin_id,
                                checked_at=checked_at,
                            )
                            for h, (result, checked_at, _) in items
                        ]
                    )
                    totals["recheck_items"] += len(items)
                for year, last in codes.items():
                    HazardCodeSequence.objects.update_or_create(year=year, defaults={"last": last})
            totals["hazards"] += len(hazards)
            totals["supervisions"] += len(rows["supervisions"])
            totals["transfers"] += len(rows["transfers"])
            totals["plans"] += len(rows["plans"])
            if time.perf_counter() - last_log > 15 or stop == count:
                last_log = time.perf_counter()
                elapsed = last_log - started
                log(f"  {stop:,}/{count:,} hazards  {elapsed:6.0f} s  ({totals['hazards'] / elapsed:,.0f} rows/s)")
    seconds = time.perf_counter() - started
    log(f"generate: added {dict(totals)} in {seconds:.0f} s")
    return {"added": totals["hazards"], "existing": existing, "seconds": seconds, "rows": dict(totals)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="hazards wanted in total (default 1,000,000)")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-migrate", action="store_true", help="do not run migrate first")
    args = parser.parse_args(argv)
    setup_django()
    if not args.no_migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    generate(args.count, batch_size=args.batch_size, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
