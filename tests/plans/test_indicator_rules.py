"""Indicators computed by declared rules over the hazard ledger and the site
register (plans/indicator_rules.py): each rule against hand-made records, a
Hypothesis state machine that creates/closes/voids/reopens hazards at random
and compares every rule with an independent recount, the page, the API, the
rule-setting service and the manual value that must carry a reason."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from zhiben.audit.models import AuditEvent
from zhiben.core.errors import PermissionDeniedError, ValidationFailed
from zhiben.core.testing import make_uscc
from zhiben.hazards.choices import STOCK_CUTOFF, HazardStatus
from zhiben.hazards.models import Hazard, HazardCategory
from zhiben.plans import indicator_rules, services
from zhiben.plans.choices import IndicatorState
from zhiben.plans.models import Indicator, Plan, Task, TaskUnit
from zhiben.registry import services as registry_services
from zhiben.registry.models import Sector, Site, SiteType, Tag, Unit
from zhiben.registry.reference import load_files as registry_load_files

pytestmark = pytest.mark.django_db

OPEN = ["pending", "rectifying", "awaiting", "transferring"]
_codes = itertools.count(1)


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware moment of ``day`` in Asia/Shanghai."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def world(sectors, orgs, users):
    commerce = Sector.objects.get(code="commerce")
    other = Sector.objects.exclude(pk=commerce.pk).order_by("code").first()
    plan = Plan.objects.create(
        title="商务领域安全生产治本攻坚三年行动方案（测试）",
        sector=commerce,
        owner=orgs["hk-swj"],
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2026, 12, 31),
        source_sha256="0" * 64,
    )
    task = Task.objects.create(plan=plan, title="隐患排查整治")
    TaskUnit.objects.create(task=task, role="lead", name="区商务委", organization=orgs["hk-swj"])
    return {
        "commerce": commerce,
        "other": other,
        "plan": plan,
        "task": task,
        "category": HazardCategory.objects.filter(is_active=True).first(),
        "verifier": users["officer"],
        "owner": orgs["hk-swj"],
    }


def indicator(world, rule: str, target: str = "100", date: dt.date | None = dt.date(2024, 12, 31), unit="%"):
    return Indicator.objects.create(
        task=world["task"], text=f"指标 {rule}", target_value=Decimal(target), unit=unit, target_date=date, rule=rule
    )


def make_hazard(world, *, sector=None, level="general", found_on, status="pending", closed_at=None) -> Hazard:
    confirmed = status in ("rectifying", "awaiting", "closed")
    return Hazard.objects.create(
        code=f"T{next(_codes):09d}",
        sector=sector or world["commerce"],
        category=world["category"],
        level=level,
        source="supervision",
        found_on=found_on,
        is_stock=found_on <= STOCK_CUTOFF,
        title="测试隐患",
        description="测试",
        unit_name="测试单位",
        owner=world["owner"],
        status=status,
        deadline=found_on if confirmed else None,
        closed_at=closed_at,
        verified_by=world["verifier"] if status == "closed" else None,
    )


def compute(ind: Indicator, today: dt.date | None = None):
    return indicator_rules.compute(Indicator.objects.get(pk=ind.pk), today)


# --- each rule against hand-made records -------------------------------------------------------------


def test_rectification_rate_counts_campaign_hazards_of_the_sector(world):
    ind = indicator(world, "hazard_rectification_rate")
    day = dt.date(2024, 6, 1)
    make_hazard(world, found_on=day, status="closed", closed_at=at(dt.date(2024, 7, 1)))
    # closed at 23:30 Shanghai on the target date (15:30 UTC): closed in time
    make_hazard(world, found_on=day, status="closed", closed_at=at(dt.date(2024, 12, 31), 23, 30))
    # closed at 00:30 Shanghai the day after (still 2024-12-31 in UTC): not in time
    make_hazard(world, found_on=day, status="closed", closed_at=at(dt.date(2025, 1, 1), 0, 30))
    make_hazard(world, found_on=day, status="rectifying")
    make_hazard(world, found_on=day, status="void")  # voided: not counted
    make_hazard(world, found_on=dt.date(2023, 12, 31), status="rectifying")  # before the campaign
    make_hazard(world, found_on=dt.date(2025, 1, 1))  # after the target date
    make_hazard(world, sector=world["other"], found_on=day)  # another sector
    result = compute(ind, today=dt.date(2026, 1, 1))
    assert (result.numerator, result.denominator) == (2, 4)
    assert result.value == Decimal("50.00")
    assert result.as_of == dt.date(2024, 12, 31)
    assert result.fraction == "2/4"
    assert set(result.queryset.values_list("found_on", flat=True)) == {day}
    denominator = parse_qs(urlsplit(result.links[0][1]).query)
    assert denominator["sector"] == [str(world["commerce"].pk)]
    assert denominator["stock"] == ["increment"]
    assert denominator["found_to"] == ["2024-12-31"]
    assert "void" not in denominator["status"]
    numerator = parse_qs(urlsplit(result.links[1][1]).query)
    assert numerator["status"] == ["closed"] and numerator["closed_to"] == ["2024-12-31"]
    assert Indicator.objects.get(pk=ind.pk).state(dt.date(2026, 1, 1)) == IndicatorState.NOT_MET


def test_rate_over_no_records_is_pending_and_full_rate_is_met(world):
    ind = indicator(world, "hazard_rectification_rate", date=dt.date(2024, 12, 31))
    assert compute(ind, dt.date(2024, 6, 1)).value is None
    assert Indicator.objects.get(pk=ind.pk).state(dt.date(2024, 6, 1)) == IndicatorState.PENDING
    make_hazard(world, found_on=dt.date(2024, 3, 1), status="closed", closed_at=at(dt.date(2024, 4, 1)))
    assert Indicator.objects.get(pk=ind.pk).state(dt.date(2024, 6, 1)) == IndicatorState.MET


def test_major_open_is_a_count_met_at_zero(world):
    ind = indicator(world, "major_hazard_open", target="0", unit="个", date=dt.date(2024, 12, 31))
    make_hazard(world, level="major", found_on=dt.date(2024, 3, 1), status="rectifying")
    # closed only after the target date: open as of it
    make_hazard(world, level="major", found_on=dt.date(2024, 3, 1), status="closed", closed_at=at(dt.date(2025, 2, 1)))
    make_hazard(world, level="major", found_on=dt.date(2024, 3, 1), status="closed", closed_at=at(dt.date(2024, 5, 1)))
    make_hazard(world, level="major", found_on=dt.date(2024, 3, 1), status="void")
    make_hazard(world, level="general", found_on=dt.date(2024, 3, 1), status="rectifying")
    make_hazard(world, level="major", found_on=dt.date(2025, 3, 1), status="rectifying")  # found later
    result = compute(ind, dt.date(2026, 1, 1))
    assert (result.numerator, result.denominator, result.value) == (2, None, Decimal(2))
    assert [label for label, _ in result.links] == ["未销号重大隐患", "此后才销号的"]
    assert parse_qs(urlsplit(result.links[1][1]).query)["closed_from"] == ["2025-01-01"]
    assert Indicator.objects.get(pk=ind.pk).state(dt.date(2026, 1, 1)) == IndicatorState.NOT_MET
    Hazard.objects.filter(level="major", status="rectifying", found_on__year=2024).update(status="void")
    Hazard.objects.filter(closed_at__date=dt.date(2025, 2, 1)).update(closed_at=at(dt.date(2024, 12, 1)))
    assert compute(ind, dt.date(2026, 1, 1)).numerator == 0
    assert Indicator.objects.get(pk=ind.pk).state(dt.date(2026, 1, 1)) == IndicatorState.MET


def test_major_stock_closed_rate(world):
    ind = indicator(world, "major_stock_closed_rate", date=dt.date(2024, 12, 31))
    old = dt.date(2023, 5, 1)
    make_hazard(world, level="major", found_on=old, status="closed", closed_at=at(dt.date(2024, 2, 1)))
    make_hazard(world, level="major", found_on=old, status="rectifying")
    make_hazard(world, level="major", found_on=old, status="void")
    make_hazard(world, level="general", found_on=old, status="rectifying")
    make_hazard(world, level="major", found_on=dt.date(2024, 1, 1), status="rectifying")  # not stock
    result = compute(ind, dt.date(2026, 1, 1))
    assert (result.numerator, result.denominator, result.value) == (1, 2, Decimal("50.00"))
    assert parse_qs(urlsplit(result.links[0][1]).query)["stock"] == ["stock"]


def test_hazard_rules_need_the_plan_sector(world):
    ind = indicator(world, "hazard_rectification_rate")
    Plan.objects.filter(pk=world["plan"].pk).update(sector=None)
    assert compute(ind) is None
    assert Indicator.objects.get(pk=ind.pk).state(dt.date(2024, 6, 1)) == IndicatorState.PENDING


def test_hospital_fire_standard(world, users, login):
    registry_load_files()
    medical = SiteType.objects.get(code="medical")
    other_type = SiteType.objects.exclude(code="medical").first()

    def site(name, active=True, site_type=medical, **attributes):
        return Site.objects.create(
            public_code=f"P{next(_codes):09d}", name=name, site_type=site_type, attributes=attributes, is_active=active
        )

    site("甲医院", category="二级以上医院", fire_standard_year=2023)
    site("乙医院", category="二级以上医院", fire_standard_year=2024)
    site("丙医院", category="二级以上医院", fire_standard_year=2025)
    site("丁医院", category="二级以上医院")
    site("社区中心", category="社区卫生服务中心", fire_standard_year=2023)
    site("已注销医院", active=False, category="二级以上医院", fire_standard_year=2023)
    site("别的类型", site_type=other_type, category="二级以上医院", fire_standard_year=2023)
    ind = indicator(world, "hospital_fire_standard", date=dt.date(2024, 12, 31))
    result = compute(ind, dt.date(2026, 1, 1))
    assert (result.numerator, result.denominator, result.value) == (2, 4, Decimal("50.00"))
    assert sorted(label for label, _ in result.records) == sorted(
        ["丁医院（未达标）", "丙医院（未达标）", "乙医院（达标 2024年）", "甲医院（达标 2023年）"]
    )
    link = result.links[0][1]
    assert "site_type=medical" in link and "attr_category=" in link
    listed = login(users["admin"]).get(link).content.decode()
    assert "丁医院" in listed and "甲医院" in listed and "社区中心" not in listed and "别的类型" not in listed
    html = login(users["officer"]).get(f"/plan-tasks/{world['task'].pk}/").content.decode()
    assert "分子/分母 2/4" in html and "甲医院（达标 2023年）" in html and "已注销医院" not in html
    assert (
        compute(indicator(world, "hospital_fire_standard", date=dt.date(2025, 12, 31)), dt.date(2026, 1, 1)).fraction
        == "3/4"
    )


def test_demonstration_units(world, users, orgs, frozen):
    """示范单位: the sector's units tagged 示范, counted from the year the tag was put on."""
    registry_load_files()
    admin = users["admin"]
    demo = Tag.objects.get(code="demonstration")
    assert demo.name == "示范单位"
    key_unit = Tag.objects.get(code="key_unit")
    own = Tag.objects.create(code="system_demo", name="“用体系管安全”示范单位")  # an office's own 示范 tag
    seeds = itertools.count(9000)

    def unit(name, *, sector=None, tags=(), day):
        frozen(at(day))
        return registry_services.unit_create(
            actor=admin,
            name=name,
            uscc=make_uscc(next(seeds)),
            street=orgs["hk-oyl"],
            sector=sector or world["commerce"],
            tags=list(tags),
        )

    unit("甲商场", tags=[demo], day=dt.date(2024, 6, 1))
    unit("乙超市", tags=[own, key_unit], day=dt.date(2023, 3, 1))
    later = unit("丙市场", day=dt.date(2024, 1, 1))
    frozen(at(dt.date(2025, 2, 1), 0, 5))  # 00:05 in Shanghai is still 2024 in UTC: the local year counts
    registry_services.unit_update(actor=admin, unit=later, data={"tags": [demo]})
    unit("丁公司", tags=[key_unit], day=dt.date(2024, 1, 1))  # no 示范 tag
    unit("别的行业", sector=world["other"], tags=[demo], day=dt.date(2024, 1, 1))
    untagged = unit("戊商场", tags=[demo], day=dt.date(2024, 1, 1))
    registry_services.unit_update(actor=admin, unit=untagged, data={"tags": []})
    legacy = Unit.objects.create(
        name="己酒店", uscc=make_uscc(next(seeds)), sector=world["commerce"], owner=orgs["hk-swj"]
    )
    legacy.tags.set([demo])  # tagged off the record: no year known, counted

    ind = indicator(world, "demonstration_units", target="2", unit="家", date=dt.date(2024, 12, 31))
    result = compute(ind, dt.date(2026, 1, 1))
    assert (result.numerator, result.denominator, result.value) == (3, None, Decimal(3))
    assert [label for label, _ in result.records] == [
        "乙超市（2023年认定）",
        "己酒店（认定时间未记录）",
        "甲商场（2024年认定）",
    ]
    assert all(url.startswith("/units/") for _, url in result.records)
    assert set(result.queryset.values_list("name", flat=True)) == {"甲商场", "乙超市", "己酒店"}
    labels = dict(result.links)
    assert labels["标签“示范单位”的单位"] == f"/units/?sector={world['commerce'].pk}&tag=demonstration"
    assert "标签““用体系管安全”示范单位”的单位" in labels
    assert indicator_rules.RULES["demonstration_units"].met(result.value, Decimal(2))
    later_result = compute(
        indicator(world, "demonstration_units", target="2", unit="家", date=None), dt.date(2025, 6, 1)
    )
    assert later_result.numerator == 4 and "丙市场（2025年认定）" in dict(later_result.records)
    # Taking the tag off and putting it back: counted from the new year.
    registry_services.unit_update(actor=admin, unit=Unit.objects.get(name="甲商场"), data={"tags": []})
    frozen(at(dt.date(2026, 3, 1)))
    registry_services.unit_update(actor=admin, unit=Unit.objects.get(name="甲商场"), data={"tags": [demo]})
    assert compute(ind, dt.date(2026, 1, 1)).numerator == 2
    # No sector on the plan: no value.
    world["plan"].sector = None
    world["plan"].save()
    assert compute(ind, dt.date(2026, 1, 1)) is None


# --- the property: the computed indicator always equals a recount ------------------------------------------


TODAY = dt.date(2025, 9, 1)
# Days on and around the boundaries (campaign start, target date, "today") are drawn often.
EDGES = [dt.date(2023, 12, 31), dt.date(2024, 1, 1), dt.date(2024, 12, 31), dt.date(2025, 1, 1), TODAY]
NEAR = st.sampled_from(EDGES).flatmap(lambda d: st.integers(-1, 1).map(lambda n: d + dt.timedelta(days=n)))
DAYS = st.one_of(NEAR, st.dates(min_value=dt.date(2023, 6, 1), max_value=dt.date(2026, 6, 30)))


def recount(records: dict[int, dict], code: str, sector_id: int, as_of: dt.date) -> tuple[int, int | None]:
    """The rules restated over the test's own copy of the records."""
    live = [r for r in records.values() if r["sector"] == sector_id and r["status"] != "void"]

    def closed(r):
        return r["status"] == "closed" and r["closed_on"] <= as_of

    if code == "hazard_rectification_rate":
        found = [r for r in live if dt.date(2024, 1, 1) <= r["found_on"] <= as_of]
        return sum(map(closed, found)), len(found)
    if code == "major_hazard_open":
        return sum(1 for r in live if r["level"] == "major" and r["found_on"] <= as_of and not closed(r)), None
    stock = [r for r in live if r["level"] == "major" and r["found_on"] <= dt.date(2023, 12, 31)]
    return sum(map(closed, stock)), len(stock)


HAZARD_RULES = ["hazard_rectification_rate", "major_hazard_open", "major_stock_closed_rate"]
UNIT_RULES = ["demonstration_units"]
TAG_SETS = {"none": [], "demo": ["demonstration"], "key": ["key_unit"], "both": ["demonstration", "key_unit"]}


def recount_units(units: dict[int, dict], sector_id: int, as_of: dt.date) -> tuple[int, None]:
    """示范单位 restated: units of the sector holding the tag since a year not after as_of's."""
    return sum(
        1 for u in units.values() if u["sector"] == sector_id and u["since"] and u["since"].year <= as_of.year
    ), None


def test_computed_indicators_always_equal_a_recount(world, users, orgs, frozen):
    registry_load_files()
    sectors = [world["commerce"], world["other"]]
    today = TODAY
    rules = HAZARD_RULES + UNIT_RULES
    indicators = [indicator(world, code, date=date) for code in rules for date in (dt.date(2024, 12, 31), None)]
    tags = {t.code: t for t in Tag.objects.filter(code__in=["demonstration", "key_unit"])}
    seeds = itertools.count(5000)

    class Ledger(RuleBasedStateMachine):
        hazards = Bundle("hazards")
        units = Bundle("units")

        @initialize()
        def start(self):
            self.savepoint = transaction.savepoint()
            self.records: dict[int, dict] = {}
            self.units: dict[int, dict] = {}

        @rule(target=units, sector=st.sampled_from([0, 1]), tagged=st.sampled_from(sorted(TAG_SETS)), day=DAYS)
        def register(self, sector, tagged, day):
            """登记单位 through the service on ``day``, with or without the 示范单位 tag."""
            frozen(at(day, 9))
            unit = registry_services.unit_create(
                actor=users["admin"],
                name=f"单位{next(seeds)}",
                uscc=make_uscc(next(seeds)),
                street=orgs["hk-oyl"],
                sector=sectors[sector],
                tags=[tags[c] for c in TAG_SETS[tagged]],
            )
            held = "demonstration" in TAG_SETS[tagged]
            self.units[unit.pk] = {"sector": sectors[sector].pk, "since": day if held else None}
            return unit.pk

        @rule(pk=units, tagged=st.sampled_from(sorted(TAG_SETS)), day=DAYS, hour=st.sampled_from([0, 12, 23]))
        def retag(self, pk, tagged, day, hour):
            """Change the unit's tags on ``day`` (a later step may be an earlier day: the trail's order counts)."""
            frozen(at(day, hour, 30))
            unit = Unit.objects.get(pk=pk)
            registry_services.unit_update(
                actor=users["admin"], unit=unit, data={"tags": [tags[c] for c in TAG_SETS[tagged]]}
            )
            record = self.units[pk]
            if "demonstration" not in TAG_SETS[tagged]:
                record["since"] = None
            elif record["since"] is None:
                record["since"] = day

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        @rule(target=hazards, sector=st.sampled_from([0, 1]), major=st.booleans(), found_on=DAYS)
        def create(self, sector, major, found_on):
            level = "major" if major else "general"
            hazard = make_hazard(world, sector=sectors[sector], level=level, found_on=found_on)
            self.records[hazard.pk] = {
                "sector": sectors[sector].pk,
                "level": level,
                "found_on": found_on,
                "status": "pending",
                "closed_on": None,
            }
            return hazard.pk

        @rule(pk=hazards, day=DAYS, hour=st.sampled_from([0, 12, 23]))
        def close(self, pk, day, hour):
            record = self.records[pk]
            if record["status"] not in OPEN:
                return
            closed_on = max(day, record["found_on"])
            Hazard.objects.filter(pk=pk).update(
                status=HazardStatus.CLOSED,
                deadline=record["found_on"],
                closed_at=at(closed_on, hour, 30),
                verified_by=world["verifier"],
            )
            record.update(status="closed", closed_on=closed_on)

        @rule(pk=hazards, status=st.sampled_from(["rectifying", "void"]))
        def change(self, pk, status):
            """Confirm, void, or reopen a closed one (返潮: the close is undone)."""
            record = self.records[pk]
            if record["status"] == "void":
                return
            Hazard.objects.filter(pk=pk).update(
                status=status, deadline=record["found_on"], closed_at=None, verified_by=None
            )
            record.update(status=status, closed_on=None)

        @invariant()
        def equals_recount(self):
            for ind in indicators:
                fresh = Indicator.objects.select_related("task__plan").get(pk=ind.pk)
                result = indicator_rules.compute(fresh, today)
                if ind.rule in UNIT_RULES:
                    expected = recount_units(self.units, world["commerce"].pk, result.as_of)
                else:
                    expected = recount(self.records, ind.rule, world["commerce"].pk, result.as_of)
                assert (result.numerator, result.denominator) == expected
                assert result.queryset.count() == (expected[1] if expected[1] is not None else expected[0])
                if expected[1]:
                    value = Decimal(expected[0]) * 100 / Decimal(expected[1])
                    assert abs(result.value - value) <= Decimal("0.005")

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


# --- setting a rule, manual values, page, API, import suggestion --------------------------------------------


def test_set_rule_is_audited_and_limited(world, users):
    ind = Indicator.objects.create(task=world["task"], text="整改率100%", target_value=Decimal(100), unit="%")
    with pytest.raises(PermissionDeniedError):
        services.indicator_set_rule(actor=users["readonly"], indicator=ind, rule="hazard_rectification_rate")
    with pytest.raises(ValidationFailed, match="没有这个计算规则"):
        services.indicator_set_rule(actor=users["officer"], indicator=ind, rule="nonsense")
    services.indicator_set_rule(actor=users["officer"], indicator=ind, rule="hazard_rectification_rate")
    assert Indicator.objects.get(pk=ind.pk).rule == "hazard_rectification_rate"
    event = AuditEvent.objects.filter(action="indicator.set_rule").latest("id")
    assert event.before["rule"] == "" and event.after["rule"] == "hazard_rectification_rate"
    assert event.after["denominator"] == 0
    services.indicator_set_rule(actor=users["admin"], indicator=ind, rule="")
    assert Indicator.objects.get(pk=ind.pk).rule == ""


def test_manual_value_needs_a_reason_and_wins(world, users, frozen):
    frozen(dt.datetime(2025, 3, 1, 10))
    ind = indicator(world, "hazard_rectification_rate", date=dt.date(2024, 12, 31))
    make_hazard(world, found_on=dt.date(2024, 3, 1), status="rectifying")
    assert Indicator.objects.get(pk=ind.pk).state() == IndicatorState.NOT_MET
    with pytest.raises(ValidationFailed, match="须说明理由"):
        services.indicator_record(
            actor=users["officer"], indicator=ind, value=Decimal(100), measured_on=dt.date(2024, 12, 30)
        )
    services.indicator_record(
        actor=users["officer"],
        indicator=ind,
        value=Decimal(100),
        measured_on=dt.date(2024, 12, 30),
        note="市级平台数据，本系统尚未录入",
    )
    assert Indicator.objects.get(pk=ind.pk).state() == IndicatorState.MET


def test_page_shows_fraction_links_and_manual_label(world, users, login, frozen):
    frozen(dt.datetime(2025, 3, 1, 10))
    ind = indicator(world, "hazard_rectification_rate", date=dt.date(2024, 12, 31))
    make_hazard(world, found_on=dt.date(2024, 3, 1), status="closed", closed_at=at(dt.date(2024, 4, 1)))
    make_hazard(world, found_on=dt.date(2024, 3, 1), status="rectifying")
    services.indicator_record(
        actor=users["officer"], indicator=ind, value=Decimal(40), measured_on=dt.date(2024, 12, 1), note="核对后填报"
    )
    page = login(users["officer"]).get(f"/plan-tasks/{world['task'].pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "按规则计算：隐患整改率" in html
    assert "分子/分母 1/2" in html and "50" in html
    assert "/hazards/?sector=" in html
    assert "手工填报</span> 2024-12-01" in html
    assert 'data-testid="indicator-rule-form"' in html
    # a readonly member of another department does not see the plan
    assert login(users["readonly"]).get(f"/plan-tasks/{world['task'].pk}/").status_code == 404
    other = login(users["readonly"]).post(f"/plan-indicators/{ind.pk}/rule/", {f"i{ind.pk}-rule": ""})
    assert other.status_code == 404
    assert Indicator.objects.get(pk=ind.pk).rule == "hazard_rectification_rate"


def test_rule_form_sets_the_rule(world, users, login):
    ind = Indicator.objects.create(task=world["task"], text="清零", target_value=Decimal(0), unit="个")
    client = login(users["officer"])
    client.post(f"/plan-indicators/{ind.pk}/rule/", {f"i{ind.pk}-rule": "major_hazard_open"})
    assert Indicator.objects.get(pk=ind.pk).rule == "major_hazard_open"


def test_api_indicator_output(world, users, login):
    ind = indicator(world, "major_stock_closed_rate", date=dt.date(2024, 12, 31))
    make_hazard(world, level="major", found_on=dt.date(2023, 5, 1), status="closed", closed_at=at(dt.date(2024, 2, 1)))
    make_hazard(world, level="major", found_on=dt.date(2023, 5, 1), status="rectifying")
    data = login(users["officer"]).get(f"/api/v1/plan-tasks/{world['task'].pk}").json()
    out = next(i for i in data["indicators"] if i["id"] == ind.pk)
    assert out["rule"] == "major_stock_closed_rate"
    assert out["rule_label"] == "存量重大隐患销号率"
    assert out["computed"]["numerator"] == 1 and out["computed"]["denominator"] == 2
    assert out["computed"]["value"] == 50.0


@pytest.mark.parametrize(
    ("text", "value", "unit", "expected"),
    [
        ("2024年底前隐患整改率达到100%", "100", "%", "hazard_rectification_rate"),
        ("隐患整改率达到90%", "90", "%", ""),
        ("重大事故隐患动态清零", "0", "个", "major_hazard_open"),
        ("存量重大隐患2024年底前全部整改销号", "100", "%", "major_stock_closed_rate"),
        ("二级以上医院2024年底前消防安全标准化达标", "100", "%", "hospital_fire_standard"),
        ("培树2-3家示范单位", "2", "家", "demonstration_units"),
        ("2024年底前，培树2-3家人防工程“用体系管安全”示范单位", "2", "家", "demonstration_units"),
        ("2025年，在本区培树2-3家生态环境领域典型企业", "2", "家", "demonstration_units"),
        ("以安全发展示范城市创建为抓手", "", "", ""),
    ],
)
def test_suggest_rule(text, value, unit, expected):
    assert indicator_rules.suggest_rule(text, Decimal(value) if value else None, unit) == expected


def test_import_sets_a_clearly_named_rule_and_a_revision_keeps_a_chosen_one(world, users):
    task = world["task"]
    targets = [
        {"text": "2024年底前隐患整改率达到100%", "value": 100, "unit": "%", "date": "2024-12-31"},
        {"text": "培树2-3家示范单位", "value": 2, "value_max": 3, "unit": "家", "date": "2024-12-31"},
    ]
    services._sync_indicators(task, targets)
    rules = dict(task.indicators.values_list("text", "rule"))
    assert rules == {
        "2024年底前隐患整改率达到100%": "hazard_rectification_rate",
        "培树2-3家示范单位": "demonstration_units",
    }
    chosen = task.indicators.get(text="培树2-3家示范单位")
    services.indicator_set_rule(actor=users["officer"], indicator=chosen, rule="hospital_fire_standard")
    services._sync_indicators(task, targets)
    assert task.indicators.get(pk=chosen.pk).rule == "hospital_fire_standard"
