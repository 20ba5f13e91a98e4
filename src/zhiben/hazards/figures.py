"""The figures the plans are measured by, for a user's scope and a date.

All figures are computed "as of" the end of ``as_of`` from timestamps
(found_on, closed_at, voided_at), so they can be recomputed for any past day
and always equal a fresh recount.

* 重大存量剩余 — 重大 hazards found on or before 2023-12-31, not closed or
  voided by the day (goal: 0 by end-2024);
* 重大增量 — 重大 hazards found this year up to the day (not voided), and how
  many of them are closed (goal: contained by end-2025, 动态清零 by end-2026);
* open and overdue hazards, by owning department and by 街道;
* 整改率 — closed ÷ (found − voided) among hazards found up to the day;
* 返潮 — failed 回头看 re-checks this year up to the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zhiben.org.models import Organization

from .choices import STOCK_CUTOFF, HazardLevel, RecheckResult
from .models import Hazard, RecheckItem


@dataclass
class HazardFigures:
    as_of: dt.date
    total: int = 0
    closed: int = 0
    voided: int = 0
    open: int = 0
    overdue: int = 0
    major_stock_total: int = 0
    major_stock_remaining: int = 0
    major_increment_found: int = 0
    major_increment_closed: int = 0
    major_open: int = 0
    relapses: int = 0
    by_department: list[dict] = field(default_factory=list)
    by_street: list[dict] = field(default_factory=list)

    @property
    def rectification_rate(self) -> float | None:
        """Closed share of the hazards found (voided ones left out), in %."""
        base = self.total - self.voided
        return round(100.0 * self.closed / base, 1) if base else None

    def as_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items()}
        data["as_of"] = self.as_of.isoformat()
        data["rectification_rate"] = self.rectification_rate
        return data


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def hazard_figures(user, as_of: dt.date | None = None, base: QuerySet | None = None) -> HazardFigures:
    """Figures over the hazards ``user`` may see (optionally narrowed by
    ``base``, e.g. a filtered list), as of the end of ``as_of``."""
    as_of = as_of or timezone.localdate()
    end = _end_of(as_of)
    year_start = dt.date(as_of.year, 1, 1)
    qs = (base if base is not None else Hazard.objects.all()).restrict(user, "view").filter(found_on__lte=as_of)

    closed_q = Q(closed_at__lt=end)
    voided_q = Q(voided_at__lt=end)
    open_q = ~closed_q & ~voided_q
    # closed_at is cleared when a hazard is reopened, so "closed by the day"
    # reads the current close; a reopened hazard counts as open again.
    overdue_q = open_q & Q(deadline__lt=as_of)
    major = Q(level=HazardLevel.MAJOR)
    stock = Q(found_on__lte=STOCK_CUTOFF)
    this_year = Q(found_on__gte=year_start)

    totals = qs.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=closed_q),
        voided=Count("pk", filter=voided_q & ~closed_q),
        open=Count("pk", filter=open_q),
        overdue=Count("pk", filter=overdue_q),
        major_stock_total=Count("pk", filter=major & stock & ~voided_q),
        major_stock_remaining=Count("pk", filter=major & stock & open_q),
        major_increment_found=Count("pk", filter=major & ~stock & this_year & ~voided_q),
        major_increment_closed=Count("pk", filter=major & ~stock & this_year & closed_q),
        major_open=Count("pk", filter=major & open_q),
    )
    figures = HazardFigures(as_of=as_of, **{k: v or 0 for k, v in totals.items()})
    figures.relapses = (
        RecheckItem.objects.restrict(user, "view")
        .filter(
            result=RecheckResult.FAILED, checked_at__gte=_end_of(year_start - dt.timedelta(days=1)), checked_at__lt=end
        )
        .filter(hazard__in=qs.values("pk"))
        .count()
    )

    grouped = qs.filter(open_q).values("owner_id").annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q))
    names = dict(Organization.objects.filter(pk__in=[g["owner_id"] for g in grouped]).values_list("pk", "name"))
    figures.by_department = sorted(
        (
            {
                "organization_id": g["owner_id"],
                "name": names.get(g["owner_id"], ""),
                "open": g["open"],
                "overdue": g["overdue"],
            }
            for g in grouped
        ),
        key=lambda row: (-row["overdue"], -row["open"], row["name"]),
    )
    grouped = qs.filter(open_q).values("street_id").annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q))
    names = dict(
        Organization.objects.filter(pk__in=[g["street_id"] for g in grouped if g["street_id"]]).values_list(
            "pk", "name"
        )
    )
    figures.by_street = sorted(
        (
            {
                "organization_id": g["street_id"],
                "name": names.get(g["street_id"], "未指定街道"),
                "open": g["open"],
                "overdue": g["overdue"],
            }
            for g in grouped
        ),
        key=lambda row: (-row["overdue"], -row["open"], row["name"]),
    )
    return figures
