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

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone

from zhiben.org.models import Organization

from .choices import OPEN_STATUSES, STOCK_CUTOFF, HazardLevel, HazardStatus, RecheckResult
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
    ``base``, e.g. a filtered list), as of the end of ``as_of``.

    For today (the common case) the current status *is* the state at the end
    of the day: four queries, each answered from one index (see
    ``bench/RESULTS.md``). A past day is recomputed from the timestamps. Both
    give the same numbers for today (tested, also by a state machine).
    """
    today = timezone.localdate()
    as_of = as_of or today
    scoped = (base if base is not None else Hazard.objects.all()).restrict(user, "view")
    if as_of >= today:
        figures = _today_figures(scoped, as_of)
    else:
        figures, open_q, overdue_q = _historical_figures(scoped, as_of)
        qs = scoped.filter(found_on__lte=as_of)
        figures.by_department = _grouped(qs.filter(open_q), "owner_id", overdue_q, "")
        figures.by_street = _grouped(qs.filter(open_q), "street_id", overdue_q, "未指定街道")

    year_start = dt.date(as_of.year, 1, 1)
    relapses = RecheckItem.objects.restrict(user, "view").filter(
        result=RecheckResult.FAILED,
        checked_at__gte=_end_of(year_start - dt.timedelta(days=1)),
        checked_at__lt=_end_of(as_of),
    )
    if base is not None:
        relapses = relapses.filter(hazard__in=scoped.values("pk"))
    figures.relapses = relapses.count()
    return figures


def _today_figures(scoped: QuerySet, as_of: dt.date) -> HazardFigures:
    """Today's figures from the status (no hazard is found in the future, so
    found_on is not filtered: a bound date parameter misleads SQLite's planner).
    ``Count("status")`` lets PostgreSQL answer from the index alone."""
    open_statuses = {s.value for s in OPEN_STATUSES}
    # The open hazards (a few per cent of the ledger), counted per (department,
    # 街道) pair in one grouped query over a covering index; open, overdue and
    # both breakdowns are summed from those few hundred rows. The ledger's total
    # is a plain COUNT (SQLite counts a whole table from its smallest b-tree,
    # far faster than grouping a million index entries by status); the closed
    # are what is neither open nor void.
    pairs = list(
        scoped.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values_list("owner_id", "street_id")
        .annotate(n=Count("status"), late=Count("status", filter=Q(deadline__lt=as_of)))
    )
    open_count = sum(n for _, _, n, _ in pairs)
    total = scoped.order_by().count()
    voided = scoped.filter(status=HazardStatus.VOID).order_by().count()
    figures = HazardFigures(
        as_of=as_of, total=total, closed=total - open_count - voided, voided=voided, open=open_count
    )
    this_year = Case(
        When(found_on__gte=dt.date(as_of.year, 1, 1), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    major = (
        scoped.filter(level=HazardLevel.MAJOR)
        .order_by()
        .annotate(this_year=this_year)
        .values_list("is_stock", "status", "this_year")
        .annotate(n=Count("status"))
    )
    for is_stock, status, found_this_year, n in major:
        is_open = status in open_statuses
        figures.major_open += n if is_open else 0
        if is_stock:
            figures.major_stock_remaining += n if is_open else 0
            figures.major_stock_total += n if status != HazardStatus.VOID else 0
        elif found_this_year and status != HazardStatus.VOID:
            figures.major_increment_found += n
            figures.major_increment_closed += n if status == HazardStatus.CLOSED else 0

    per_owner: dict[int, list[int]] = {}
    per_street: dict[int | None, list[int]] = {}
    for owner_id, street_id, n, late in pairs:
        figures.overdue += late
        for key, bucket in ((owner_id, per_owner), (street_id, per_street)):
            counts = bucket.setdefault(key, [0, 0])
            counts[0] += n
            counts[1] += late
    names = dict(
        Organization.objects.filter(pk__in=[k for k in [*per_owner, *per_street] if k]).values_list("pk", "name")
    )
    figures.by_department = _named(per_owner, names, "")
    figures.by_street = _named(per_street, names, "未指定街道")
    return figures


def _named(counts: dict, names: dict, unnamed: str) -> list[dict]:
    return sorted(
        (
            {
                "organization_id": key,
                "name": names.get(key, unnamed) if key else unnamed,
                "open": open_,
                "overdue": late,
            }
            for key, (open_, late) in counts.items()
        ),
        key=lambda row: (-row["overdue"], -row["open"], row["name"]),
    )


def _historical_figures(scoped: QuerySet, as_of: dt.date) -> tuple[HazardFigures, Q, Q]:
    """The figures at the end of a past day, from found_on/closed_at/voided_at."""
    end = _end_of(as_of)
    year_start = dt.date(as_of.year, 1, 1)
    qs = scoped.filter(found_on__lte=as_of)
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
    return HazardFigures(as_of=as_of, **{k: v or 0 for k, v in totals.items()}), open_q, overdue_q


def _grouped(open_qs: QuerySet, field: str, overdue_q: Q, unnamed: str) -> list[dict]:
    grouped = list(open_qs.order_by().values(field).annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q)))
    names = dict(Organization.objects.filter(pk__in=[g[field] for g in grouped if g[field]]).values_list("pk", "name"))
    return sorted(
        (
            {
                "organization_id": g[field],
                "name": names.get(g[field], unnamed),
                "open": g["open"],
                "overdue": g["overdue"],
            }
            for g in grouped
        ),
        key=lambda row: (-row["overdue"], -row["open"], row["name"]),
    )
