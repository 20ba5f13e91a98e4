"""Declared rules that compute an indicator from the ledgers' records.

A rule has a code (stored on ``Indicator.rule``), a Chinese label, a
description in words of what it counts, a unit (% for a rate, 个/家 for a
count), a direction (a rate is met at or above the target, a count such as
"重大隐患动态清零" at or below it) and a function that, for an indicator and an
"as of" date, returns a ``RuleResult``: numerator, denominator (None for a
count), value, and the records behind it (a queryset, links to the filtered
lists, and for small sets the records themselves).

The as-of date is the indicator's target date, or today while that date is
still ahead (or when it has none).

Adding a rule: write a function ``(indicator, as_of) -> RuleResult | None``
and add one ``Rule(...)`` to ``RULES`` below (optionally with the words that
suggest it on import, see ``suggest_rule``); an app above plans (a sector
register such as traffic's 事故多发点段) calls ``register_rule(Rule(...))``
from its ``AppConfig.ready()`` instead. ``Indicator.rule`` takes its choices
from this module, so no migration is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.models import AuditEvent
from zhiben.hazards.choices import OPEN_STATUSES, STOCK_CUTOFF, HazardLevel, HazardStatus
from zhiben.hazards.models import Hazard
from zhiben.registry.models import Site, Tag, Unit


class Indicator(Protocol):
    """What a rule reads of a ``plans.models.Indicator`` (a protocol: models imports this module)."""

    rule: str
    target_date: dt.date | None
    task: Any  # .plan.sector_id


AT_LEAST = "at_least"
AT_MOST = "at_most"

CAMPAIGN_START = STOCK_CUTOFF + dt.timedelta(days=1)
"""2024-01-01: hazards found from this day on are the campaign's own (增量)."""

MEDICAL_TYPE = "medical"
HOSPITAL_CATEGORY = "二级以上医院"
SHOWN_RECORDS = 50
"""At most this many records are listed inline (site rules)."""


@dataclass(frozen=True)
class RuleResult:
    numerator: int
    denominator: int | None
    as_of: dt.date
    queryset: QuerySet | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    records: list[tuple[str, str]] = field(default_factory=list)

    @property
    def value(self) -> Decimal | None:
        """The rate in % (2 places), or the count; None for a rate over no records."""
        if self.denominator is None:
            return Decimal(self.numerator)
        if self.denominator == 0:
            return None
        return (Decimal(self.numerator) * 100 / Decimal(self.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def fraction(self) -> str:
        """ "分子/分母" ("3/4"), or the count alone."""
        if self.denominator is None:
            return str(self.numerator)
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    description: str
    unit: str
    direction: str
    compute: Callable[[Indicator, dt.date], RuleResult | None]
    # suggest_rule(): every group must have a word in the text (any of a group's words).
    keywords: tuple[tuple[str, ...], ...] = ()
    # and the parsed target, when given, must be this value with this unit.
    suggest_target: tuple[Decimal, str] | None = None

    def met(self, value: Decimal, target: Decimal) -> bool:
        return value <= target if self.direction == AT_MOST else value >= target


def _hazard_url(**params) -> str:
    pairs = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, str(v)) for v in values)
    return f"{reverse('hazards:list')}?{urlencode(pairs)}"


def _closed_by(as_of: dt.date) -> Q:
    return Q(status=HazardStatus.CLOSED, closed_at__date__lte=as_of)


LIVE_STATUSES = [*OPEN_STATUSES, HazardStatus.CLOSED]
"""Every status but 已作废."""


def _sector_hazards(indicator: Indicator) -> QuerySet[Hazard] | None:
    sector_id = indicator.task.plan.sector_id
    if sector_id is None:
        return None
    return Hazard.objects.filter(sector_id=sector_id).exclude(status=HazardStatus.VOID)


def rectification_rate(indicator: Indicator, as_of: dt.date) -> RuleResult | None:
    base = _sector_hazards(indicator)
    if base is None:
        return None
    found = base.filter(found_on__gte=CAMPAIGN_START, found_on__lte=as_of)
    sector = indicator.task.plan.sector_id
    common = {"sector": sector, "stock": "increment", "found_to": as_of.isoformat()}
    return RuleResult(
        numerator=found.filter(_closed_by(as_of)).count(),
        denominator=found.count(),
        as_of=as_of,
        queryset=found,
        links=[
            ("全部隐患（分母）", _hazard_url(**common, status=LIVE_STATUSES)),
            ("已销号（分子）", _hazard_url(**common, status=HazardStatus.CLOSED, closed_to=as_of.isoformat())),
        ],
    )


def major_open(indicator: Indicator, as_of: dt.date) -> RuleResult | None:
    base = _sector_hazards(indicator)
    if base is None:
        return None
    open_then = base.filter(level=HazardLevel.MAJOR, found_on__lte=as_of).exclude(_closed_by(as_of))
    common = {"sector": indicator.task.plan.sector_id, "level": HazardLevel.MAJOR, "found_to": as_of.isoformat()}
    links = [("未销号重大隐患", _hazard_url(**common, status=list(OPEN_STATUSES)))]
    if as_of < timezone.localdate():
        after = (as_of + dt.timedelta(days=1)).isoformat()
        links.append(("此后才销号的", _hazard_url(**common, status=HazardStatus.CLOSED, closed_from=after)))
    return RuleResult(numerator=open_then.count(), denominator=None, as_of=as_of, queryset=open_then, links=links)


def major_stock_closed_rate(indicator: Indicator, as_of: dt.date) -> RuleResult | None:
    base = _sector_hazards(indicator)
    if base is None:
        return None
    stock = base.filter(level=HazardLevel.MAJOR, is_stock=True)
    common = {"sector": indicator.task.plan.sector_id, "level": HazardLevel.MAJOR, "stock": "stock"}
    return RuleResult(
        numerator=stock.filter(_closed_by(as_of)).count(),
        denominator=stock.count(),
        as_of=as_of,
        queryset=stock,
        links=[
            ("存量重大隐患（分母）", _hazard_url(**common, status=LIVE_STATUSES)),
            ("已销号（分子）", _hazard_url(**common, status=HazardStatus.CLOSED, closed_to=as_of.isoformat())),
        ],
    )


def _year(value) -> int | None:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


def hospital_fire_standard(indicator: Indicator, as_of: dt.date) -> RuleResult:
    hospitals = list(
        Site.objects.filter(is_active=True, site_type__code=MEDICAL_TYPE, attributes__category=HOSPITAL_CATEGORY)
        .order_by("name", "pk")
        .only("pk", "name", "attributes")
    )
    achieved = []
    for site in hospitals:
        year = _year((site.attributes or {}).get("fire_standard_year"))
        if year is not None and year <= as_of.year:
            achieved.append(site)
    done = {s.pk for s in achieved}
    records = [
        (
            f"{s.name}（{'达标 ' + str(_year(s.attributes.get('fire_standard_year'))) + '年' if s.pk in done else '未达标'}）",
            reverse("registry:site_detail", args=[s.pk]),
        )
        for s in hospitals[:SHOWN_RECORDS]
    ]
    return RuleResult(
        numerator=len(achieved),
        denominator=len(hospitals),
        as_of=as_of,
        queryset=Site.objects.filter(pk__in=[s.pk for s in hospitals]),
        links=[
            (
                "二级以上医院（场所列表）",
                f"{reverse('registry:site_list')}?{urlencode({'site_type': MEDICAL_TYPE, 'attr_category': HOSPITAL_CATEGORY})}",
            )
        ],
        records=records,
    )


DEMONSTRATION_WORD = "示范"
"""A unit counts as 示范单位 while it carries a tag whose name contains this word (the
registry's default tag is 示范单位; an office may add e.g. “用体系管安全”示范单位)."""
UNIT_TAG_ACTIONS = ("unit.create", "unit.update")


def _designated_on(unit_ids: list[int], codes: set[str]) -> dict[int, dt.date]:
    """For each unit, the day (Asia/Shanghai) it last received a 示范 tag, as the audit
    trail of ``unit.create``/``unit.update`` records it (their snapshots list the unit's tag
    codes); a unit whose tagging is not on the trail is absent."""
    designated: dict[int, dt.date] = {}
    events = (
        AuditEvent.objects.filter(
            object_type=Unit._meta.label_lower,
            object_id__in=[str(pk) for pk in unit_ids],
            action__in=UNIT_TAG_ACTIONS,
        )
        .order_by("id")
        .only("object_id", "created_at", "before", "after")
    )
    for event in events.iterator():
        after = event.after if isinstance(event.after, dict) else {}
        if "tags" not in after:
            continue
        pk = int(event.object_id)
        held_after = bool(set(after.get("tags") or []) & codes)
        before = event.before if isinstance(event.before, dict) else {}
        held_before = bool(set(before.get("tags") or []) & codes)
        if held_after and (not held_before or pk not in designated):
            designated[pk] = timezone.localtime(event.created_at).date()
        elif not held_after:
            designated.pop(pk, None)
    return designated


def demonstration_units(indicator: Indicator, as_of: dt.date) -> RuleResult | None:
    sector_id = indicator.task.plan.sector_id
    if sector_id is None:
        return None
    tags = list(Tag.objects.filter(name__contains=DEMONSTRATION_WORD).order_by("sort_order", "code"))
    codes = {t.code for t in tags}
    units = list(
        Unit.objects.filter(sector_id=sector_id, tags__in=tags).distinct().order_by("name", "pk").only("pk", "name")
    )
    designated = _designated_on([u.pk for u in units], codes)
    counted = [u for u in units if u.pk not in designated or designated[u.pk].year <= as_of.year]
    records = []
    for unit in counted[:SHOWN_RECORDS]:
        day = designated.get(unit.pk)
        note = f"{day.year}年认定" if day else "认定时间未记录"
        records.append((f"{unit.name}（{note}）", reverse("registry:unit_detail", args=[unit.pk])))
    url = reverse("registry:unit_list")
    links = [(f"标签“{t.name}”的单位", f"{url}?{urlencode({'sector': sector_id, 'tag': t.code})}") for t in tags]
    return RuleResult(
        numerator=len(counted),
        denominator=None,
        as_of=as_of,
        queryset=Unit.objects.filter(pk__in=[u.pk for u in counted]),
        links=links,
        records=records,
    )


HUNDRED_PERCENT = (Decimal(100), "%")

# suggest_rule() tries them in this order: the more specific first.
RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        Rule(
            code="major_hazard_open",
            label="重大隐患动态清零",
            description=(
                "方案所属行业领域中，统计日当天仍未销号的重大隐患数（统计日前发现、不含已作废、"
                "统计日后才销号的也算未销号）；目标为0，不超过目标即达标。"
            ),
            unit="个",
            direction=AT_MOST,
            compute=major_open,
            keywords=(("重大隐患", "重大事故隐患"), ("清零",)),
        ),
        Rule(
            code="major_stock_closed_rate",
            label="存量重大隐患销号率",
            description=(
                "方案所属行业领域中，2023年12月31日及以前发现的重大隐患（不含已作废）里，"
                "至统计日已销号的所占比例：已销号数/存量重大隐患总数。"
            ),
            unit="%",
            direction=AT_LEAST,
            compute=major_stock_closed_rate,
            keywords=(("存量",), ("重大隐患", "重大事故隐患"), ("销号", "整改")),
        ),
        Rule(
            code="hazard_rectification_rate",
            label="隐患整改率",
            description=(
                "方案所属行业领域中，2024年1月1日至统计日发现的隐患（不含已作废）里，"
                "至统计日已销号的所占比例：已销号数/隐患总数。"
            ),
            unit="%",
            direction=AT_LEAST,
            compute=rectification_rate,
            keywords=(("整改率",),),
            suggest_target=HUNDRED_PERCENT,
        ),
        Rule(
            code="hospital_fire_standard",
            label="二级以上医院消防安全标准化达标率",
            description=(
                "在册的“医疗机构”场所中机构类别为“二级以上医院”的，"
                "“消防安全标准化达标年份”不晚于统计日所在年份的所占比例：达标数/二级以上医院总数。"
            ),
            unit="%",
            direction=AT_LEAST,
            compute=hospital_fire_standard,
            keywords=(("消防",), ("标准化",), ("医院",)),
        ),
        Rule(
            code="demonstration_units",
            label="示范单位数",
            description=(
                "方案所属行业领域的在册单位中，带有名称含“示范”的单位标签（如“示范单位”）的家数；"
                "审计记录中有贴标签时间的，按贴标签的年份计，晚于统计日所在年份的不计，"
                "没有记录时间的按已认定计；不低于目标即达标。"
            ),
            unit="家",
            direction=AT_LEAST,
            compute=demonstration_units,
            keywords=(("示范单位", "示范企业", "典型企业", "典型示范"),),
        ),
    ]
}


def register_rule(rule: Rule) -> None:
    """Add a rule declared by an app above plans (from its AppConfig.ready())."""
    existing = RULES.setdefault(rule.code, rule)
    if existing is not rule and existing.compute is not rule.compute:
        raise ValueError(f"indicator rule {rule.code!r} is declared twice")


def rule_choices() -> list[tuple[str, str]]:
    """Choices of ``Indicator.rule`` (read when used, so adding a rule needs no migration)."""
    return [(rule.code, rule.label) for rule in RULES.values()]


def as_of_date(indicator: Indicator, today: dt.date | None = None) -> dt.date:
    today = today or timezone.localdate()
    if indicator.target_date is not None and indicator.target_date < today:
        return indicator.target_date
    return today


def compute(indicator: Indicator, today: dt.date | None = None) -> RuleResult | None:
    """The rule's result for ``indicator`` (None without a rule, or when the
    rule cannot apply, e.g. a hazard rule on a plan without a sector)."""
    rule = RULES.get(indicator.rule or "")
    if rule is None:
        return None
    return rule.compute(indicator, as_of_date(indicator, today))


def suggest_rule(text: str, value: Decimal | None = None, unit: str = "") -> str:
    """The code of the rule the indicator's text clearly names, else "".
    A text matches a rule when each of the rule's keyword groups has a word in
    it and, if the rule names a target (整改率: 100%), the parsed target is that."""
    text = text or ""
    for rule in RULES.values():
        if not rule.keywords or not all(any(word in text for word in group) for group in rule.keywords):
            continue
        if rule.suggest_target is not None and (value, unit) != rule.suggest_target:
            continue
        return rule.code
    return ""
