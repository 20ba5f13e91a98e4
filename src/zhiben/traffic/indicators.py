"""The indicator rule "事故多发点段整治完成率" (registered from apps.ready()).

The plan (road-traffic.txt 二(二)1 排查清除重点道路安全隐患): "对全量待整改隐患力争于
2024年底前至少完成30%治理目标，2025年底前至少完成70%治理目标，2026年底前全量完成治理".

For an as-of date D:

* denominator — the listings (BlackSpotListing, any level) listed in year D.year or
  earlier, except those whose 整治 was already 已完成/已验收 with a 完成日期 before
  2024-01-01 (treated before the campaign: not 待整改). A listing counts for the whole
  of the year it was listed in (listings are announced per year);
* numerator — those of them whose 整治 is now 已完成 or 已验收 with a 完成日期 on or
  before D (a treatment returned by 验收退回 has no 完成日期 and does not count).

The rule is district-wide; the progress page applies the same definition to the
listings its viewer may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse

from zhiben.plans.indicator_rules import AT_LEAST, CAMPAIGN_START, SHOWN_RECORDS, Rule, RuleResult

from .choices import DONE_STATUSES
from .models import BlackSpotListing, BlackSpotRectification

RULE_CODE = "black_spot_rectification_rate"
RULE_LABEL = "事故多发点段整治完成率"
RULE_DESCRIPTION = (
    "在册的事故多发点段挂牌记录中，挂牌年度不晚于统计日所在年份的（不含2024年1月1日前已完成整治的），"
    "至统计日整治状态为“已完成”或“已验收”且完成日期不晚于统计日的所占比例：已完成数/应整治数。"
    "方案目标：2024年底前≥30%，2025年底前≥70%，2026年底前100%。"
)
YEAR_TARGETS = {2024: Decimal(30), 2025: Decimal(70), 2026: Decimal(100)}


def to_treat(base: QuerySet[BlackSpotListing], as_of: dt.date) -> QuerySet[BlackSpotListing]:
    """The denominator: listings to treat as of ``as_of`` (module docstring)."""
    done_before = BlackSpotRectification.objects.filter(
        status__in=DONE_STATUSES, finished_on__lt=CAMPAIGN_START
    ).values("listing_id")
    return base.filter(year__lte=as_of.year).exclude(pk__in=done_before)


def treated(denominator: QuerySet[BlackSpotListing], as_of: dt.date) -> QuerySet[BlackSpotListing]:
    """The numerator: those treated (已完成/已验收) by ``as_of``."""
    return denominator.filter(rectification__status__in=DONE_STATUSES, rectification__finished_on__lte=as_of)


def list_url(**params) -> str:
    return f"{reverse('traffic:listing_list')}?{urlencode(params)}"


def black_spot_rate(indicator, as_of: dt.date) -> RuleResult:
    denominator = to_treat(BlackSpotListing.objects.all(), as_of)
    numerator = treated(denominator, as_of)
    shown = denominator.select_related("site", "rectification").order_by("year", "site__name", "pk")[:SHOWN_RECORDS]
    done = set(numerator.values_list("pk", flat=True))
    records = [
        (
            f"{x.site.name}（{x.year}年{x.get_level_display()}，{x.rectification.get_status_display()}"
            f"{'，计入' if x.pk in done else ''}）",
            reverse("traffic:listing_detail", args=[x.pk]),
        )
        for x in shown
    ]
    day = as_of.isoformat()
    return RuleResult(
        numerator=len(done),
        denominator=denominator.count(),
        as_of=as_of,
        queryset=denominator,
        links=[
            ("应整治点段（分母）", list_url(campaign_as_of=day)),
            ("已完成整治（分子）", list_url(campaign_as_of=day, done_by=day)),
            ("事故多发点段整治进度", reverse("traffic:progress")),
        ],
        records=records,
    )


RULE = Rule(
    code=RULE_CODE,
    label=RULE_LABEL,
    description=RULE_DESCRIPTION,
    unit="%",
    direction=AT_LEAST,
    compute=black_spot_rate,
    keywords=(("事故多发点段", "待整改隐患", "治理目标"), ("完成", "整治", "治理")),
)


@dataclass(frozen=True)
class YearProgress:
    year: int
    target: Decimal
    as_of: dt.date
    numerator: int
    denominator: int
    points: list[BlackSpotListing]
    counted: set[int]
    more: int

    @property
    def value(self) -> Decimal | None:
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / Decimal(self.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def met(self) -> bool | None:
        return None if self.value is None else self.value >= self.target

    @property
    def finished(self) -> bool:
        """Whether the year is over (its figure is final)."""
        return self.as_of == dt.date(self.year, 12, 31)


def progress(base: QuerySet[BlackSpotListing], today: dt.date, shown: int = 200) -> list[YearProgress]:
    """Per year of the campaign: the target and the figures as of its year end (or today while ahead)."""
    rows = []
    for year, target in YEAR_TARGETS.items():
        as_of = min(dt.date(year, 12, 31), today)
        denominator = to_treat(base, as_of)
        counted = set(treated(denominator, as_of).values_list("pk", flat=True))
        total = denominator.count()
        points = list(
            denominator.select_related("site", "site__street", "lead_org", "rectification").order_by(
                "year", "site__name", "pk"
            )[:shown]
        )
        rows.append(YearProgress(year, target, as_of, len(counted), total, points, counted, max(0, total - shown)))
    return rows
