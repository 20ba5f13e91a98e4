"""事故多发点段整治完成率: the rule against hand-made records for the plan's three year-end
targets (30% / 70% / 100%) with the points behind each, its keywords on the parsed plan, the
progress page and API, and a Hypothesis state machine that lists, starts, completes, accepts
and returns treatments at random (through the services) and compares the rule with a recount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from zhiben.core.errors import ServiceError
from zhiben.plans import indicator_rules
from zhiben.plans.choices import IndicatorState
from zhiben.plans.models import Indicator, Plan, Task
from zhiben.plans.parsing import parse_plan_file
from zhiben.registry.models import Sector
from zhiben.traffic.indicators import RULE_CODE
from zhiben.traffic.models import BlackSpotListing

pytestmark = pytest.mark.django_db
D = dt.date
YEAR_ENDS = [D(2024, 12, 31), D(2025, 12, 31), D(2026, 12, 31)]


@pytest.fixture
def task(traffic):
    plan = Plan.objects.create(
        title="虹口区道路交通安全治本攻坚三年行动实施方案（测试）",
        sector=Sector.objects.get(code="road_traffic"),
        owner=traffic["orgs"]["hk-gafj"],
        period_start=D(2024, 1, 1),
        period_end=D(2026, 12, 31),
        source_sha256="1" * 64,
    )
    return Task.objects.create(plan=plan, title="排查清除重点道路安全隐患")


def indicator(task, target: str, day: dt.date) -> Indicator:
    return Indicator.objects.create(
        task=task, text=f"{day.year}年底前至少完成{target}%治理目标", target_value=Decimal(target), unit="%",
        target_date=day, rule=RULE_CODE,
    )  # fmt: skip


def spots(traffic, n: int):
    """``n`` road spots (the fixture's four, then new ones in 欧阳路街道)."""
    found = list(traffic["spots"])
    while len(found) < n:
        found.append(traffic["site"]("road_spot", f"测试路口{len(found)}", "hk-oyl", spot_kind="事故多发点段"))
    traffic["spots"] = found
    return found


def finish(traffic, item, day: dt.date, accept: bool = False):
    steps = [
        ("start", {"measures": "增设标线", "started_on": min(day, D(2024, 1, 10))}),
        ("complete", {"finished_on": day}),
    ]
    if accept:
        steps.append(("accept", {"accepted_by": "区交安委办公室", "accepted_on": day}))
    traffic["advance"](item, *steps)


def test_year_end_targets_30_70_100_with_the_points_behind(traffic, task, today, login):
    spots(traffic, 11)
    listings = [traffic["listing"](i, year=2024) for i in range(9)]
    stock = traffic["listing"](9, year=2023)  # listed before the campaign, still to treat
    treated_before = traffic["listing"](10, year=2022)  # treated before 2024: not 待整改
    traffic["advance"](treated_before, ("start", {"measures": "护栏", "started_on": D(2023, 1, 5)}))
    traffic["advance"](treated_before, ("complete", {"finished_on": D(2023, 6, 1)}))
    finish(traffic, listings[0], D(2024, 5, 1), accept=True)
    finish(traffic, listings[1], D(2024, 12, 31))  # on the year-end day: in time
    finish(traffic, stock, D(2024, 8, 1))
    finish(traffic, listings[2], D(2025, 1, 1))  # one day late for 2024
    for item in listings[3:6]:
        finish(traffic, item, D(2025, 11, 30), accept=True)
    for item in listings[6:9]:
        finish(traffic, item, D(2026, 10, 1))
    ind_2024, ind_2025, ind_2026 = (indicator(task, t, d) for t, d in zip(["30", "70", "100"], YEAR_ENDS, strict=True))

    results = [indicator_rules.compute(Indicator.objects.get(pk=i.pk), today) for i in (ind_2024, ind_2025, ind_2026)]
    assert [r.fraction for r in results] == ["3/10", "7/10", "10/10"]
    assert [r.value for r in results] == [Decimal("30.00"), Decimal("70.00"), Decimal("100.00")]
    assert [Indicator.objects.get(pk=i.pk).state(today) for i in (ind_2024, ind_2025, ind_2026)] == [
        IndicatorState.MET
    ] * 3
    # the points behind 2024: all ten to treat, the three counted marked, the one treated in 2023 absent
    names = [label for label, _ in results[0].records]
    assert len(names) == 10 and not any(traffic["spots"][10].name in n for n in names)
    assert sum("计入" in n for n in names) == 3
    assert any(n.startswith(f"{traffic['spots'][2].name}（2024年区级，已完成）") for n in names)  # late: not 计入
    denominator, numerator = (parse_qs(urlsplit(url).query) for _, url in results[0].links[:2])
    assert denominator == {"campaign_as_of": ["2024-12-31"]}
    assert numerator == {"campaign_as_of": ["2024-12-31"], "done_by": ["2024-12-31"]}

    # the links open the list with the same sets
    client = login(traffic["gafj"])
    page = client.get(results[0].links[1][1])
    assert page.status_code == 200 and "共 3 处" in page.content.decode()
    assert "共 10 处" in client.get(results[0].links[0][1]).content.decode()

    # one returned on acceptance no longer counts
    traffic["advance"](listings[1], "reopen")
    assert indicator_rules.compute(Indicator.objects.get(pk=ind_2024.pk), today).fraction == "2/10"
    assert Indicator.objects.get(pk=ind_2024.pk).state(today) == IndicatorState.NOT_MET

    # the progress page and API say the same, per year
    html = client.get("/traffic/black-spots/progress/").content.decode()
    for year, fraction in ((2024, "2/10"), (2025, "6/10"), (2026, "9/10")):
        assert f'data-testid="fraction-{year}">{fraction}<' in html
    assert "≥30%" in html and "≥70%" in html and "≥100%" in html and traffic["spots"][9].name in html
    body = client.get("/api/v1/traffic/black-spot-progress").json()
    first = body["years"][0]
    assert (first["year"], first["numerator"], first["denominator"], first["target_percent"]) == (2024, 2, 10, "30")
    assert first["actual_percent"] == "20.00" and first["met"] is False
    assert sum(p["counted"] for p in first["points"]) == 2 and len(first["points"]) == 10


def test_later_listings_join_the_denominator_of_their_year(traffic, task, today):
    traffic["listing"](0, year=2024)
    traffic["listing"](1, year=2025)
    traffic["listing"](2, year=2026)
    fractions = [
        indicator_rules.compute(Indicator.objects.get(pk=indicator(task, "30", d).pk), today).fraction
        for d in YEAR_ENDS
    ]
    assert fractions == ["0/1", "0/2", "0/3"]


def test_progress_page_is_scoped_and_for_government_only(traffic, today, login):
    traffic["listing"](0, year=2024)  # 北外滩街道, led by 区公安分局
    traffic["listing"](2, year=2024, lead="hk-jgw")  # 江湾镇街道, led by 区建管委
    assert (
        'data-testid="fraction-2024">0/2<'
        in login(traffic["gafj"]).get("/traffic/black-spots/progress/").content.decode()
    )
    assert (
        'data-testid="fraction-2024">0/1<'
        in login(traffic["street"]).get("/traffic/black-spots/progress/").content.decode()
    )
    assert (
        'data-testid="fraction-2024">0/1<'
        in login(traffic["jgw"]).get("/traffic/black-spots/progress/").content.decode()
    )
    assert (
        'data-testid="fraction-2024">0/0<'
        in login(traffic["other"]).get("/traffic/black-spots/progress/").content.decode()
    )
    assert login(traffic["enterprise"]).get("/traffic/black-spots/progress/").status_code == 404


def test_the_parsed_plan_indicators_get_the_rule_and_no_other_plan_does(traffic):
    plans = Path(django_settings.DATA_DIR) / "plans"
    suggested = {}
    for path in sorted(plans.glob("*.txt")):
        for target in _targets(parse_plan_file(path)):
            code = indicator_rules.suggest_rule(target["text"], Decimal(str(target["value"])), target.get("unit") or "")
            suggested[(path.stem, target["text"])] = code
    ours = {key for key, code in suggested.items() if code == RULE_CODE}
    assert ours == {
        ("road-traffic", "对全量待整改隐患力争于2024年底前至少完成30%治理目标"),
        ("road-traffic", "2025年底前至少完成70%治理目标"),
    }
    assert indicator_rules.suggest_rule("事故多发点段整治完成30%", Decimal(30), "%") == RULE_CODE
    assert indicator_rules.RULES[RULE_CODE].label == "事故多发点段整治完成率"


def _targets(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "targets" and isinstance(value, list):
                yield from value
            else:
                yield from _targets(value)
    elif isinstance(node, list):
        for item in node:
            yield from _targets(item)


# --- the recount ------------------------------------------------------------------------------------

DAYS = st.dates(min_value=D(2022, 1, 1), max_value=D(2026, 12, 31))
DONE = ("completed", "accepted")


def recount(records: dict[int, dict], as_of: dt.date) -> tuple[int, int]:
    to_treat = [
        r
        for r in records.values()
        if r["year"] <= as_of.year and not (r["status"] in DONE and r["finished"] < D(2024, 1, 1))
    ]
    done = [r for r in to_treat if r["status"] in DONE and r["finished"] <= as_of]
    return len(done), len(to_treat)


def test_rule_always_equals_a_recount(traffic, task, today):
    pool = spots(traffic, 6)
    indicators = [indicator(task, t, d) for t, d in zip(["30", "70", "100"], YEAR_ENDS, strict=True)]
    indicators.append(indicator(task, "50", D(2025, 6, 30)))

    class Register(RuleBasedStateMachine):
        @initialize()
        def start(self):
            self.savepoint = transaction.savepoint()
            self.records: dict[int, dict] = {}

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        @rule(spot=st.integers(0, len(pool) - 1), year=st.integers(2022, 2026))
        def list_point(self, spot, year):
            try:
                item = traffic["listing"](spot, year=year)
            except ServiceError:
                assert any(r["spot"] == spot and r["year"] == year for r in self.records.values())
                return
            self.records[item.pk] = {
                "spot": spot,
                "year": year,
                "status": "not_started",
                "started": None,
                "finished": None,
            }

        def _move(self, pick, name, data, reason=""):
            if not self.records:
                return None
            pk = sorted(self.records)[pick % len(self.records)]
            item = BlackSpotListing.objects.get(pk=pk)
            try:
                traffic["advance"](item, (name, data) if name != "reopen" else "reopen")
            except ServiceError:
                return None
            return self.records[pk]

        @rule(pick=st.integers(0, 50), day=DAYS)
        def begin(self, pick, day):
            record = self._move(pick, "start", {"measures": "整治", "started_on": day})
            if record is not None:
                record.update(status="in_progress", started=day)

        @rule(pick=st.integers(0, 50), day=DAYS)
        def complete(self, pick, day):
            if not self.records:
                return
            record = self.records[sorted(self.records)[pick % len(self.records)]]
            if record["status"] != "in_progress":
                return
            finished = max(day, record["started"])
            assert self._move(pick, "complete", {"finished_on": finished}) is record
            record.update(status="completed", finished=finished)

        @rule(pick=st.integers(0, 50), day=DAYS)
        def accept(self, pick, day):
            if not self.records:
                return
            record = self.records[sorted(self.records)[pick % len(self.records)]]
            if record["status"] != "completed":
                return
            data = {"accepted_by": "区交安委办公室", "accepted_on": max(day, record["finished"])}
            assert self._move(pick, "accept", data) is record
            record["status"] = "accepted"

        @rule(pick=st.integers(0, 50))
        def reopen(self, pick):
            record = self._move(pick, "reopen", {})
            if record is not None:
                record.update(status="in_progress", finished=None)

        @invariant()
        def equals_recount(self):
            for ind in indicators:
                fresh = Indicator.objects.select_related("task__plan").get(pk=ind.pk)
                result = indicator_rules.compute(fresh, today)
                assert (result.numerator, result.denominator) == recount(self.records, result.as_of)
                assert result.queryset.count() == result.denominator

    run_state_machine_as_test(
        Register,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
