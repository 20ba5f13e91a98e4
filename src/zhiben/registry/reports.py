"""Read-only reports of the registry: the monthly 高风险 list and the 盲区
report. Everything is within the user's scope."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from .access import visible_sites, visible_units
from .choices import HIGH_RISK_LEVELS
from .models import RiskAssessment, SiteType


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def parse_month(value: str | None, default: dt.date) -> dt.date:
    """ "2026-05" -> 2026-05-01; the default's month when absent or invalid."""
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        return dt.date(year, month, 1)
    except (ValueError, TypeError):
        return default.replace(day=1)


def assessments_valid_in(start: dt.date, end: dt.date):
    """Assessments in force on some day of [start, end]: made on or before
    ``end``, not expired before ``start``, and not superseded (by a later
    assessment of the same subject) on or before ``start``."""
    later = RiskAssessment.objects.filter(
        Q(unit_id=OuterRef("unit_id")) | Q(site_id=OuterRef("site_id")),
        Q(assessed_on__gt=OuterRef("assessed_on")) | Q(assessed_on=OuterRef("assessed_on"), id__gt=OuterRef("id")),
        assessed_on__lte=start,
    )
    return RiskAssessment.objects.filter(assessed_on__lte=end, valid_until__gte=start).exclude(Exists(later))


def high_risk(user, year: int, month: int) -> list[RiskAssessment]:
    """重大/较大 units and sites of the month (one row per subject: its last
    high-risk assessment in force that month), most severe first."""
    start, end = month_bounds(year, month)
    qs = (
        assessments_valid_in(start, end)
        .filter(level__in=HIGH_RISK_LEVELS)
        .filter(Q(unit__in=visible_units(user).values("pk")) | Q(site__in=visible_sites(user).values("pk")))
        .select_related(
            "unit__owner", "unit__street", "unit__sector", "site__owner", "site__street", "site__site_type", "assessor"
        )
        .order_by("-assessed_on", "-id")
    )
    seen: set[tuple[str, int]] = set()
    rows = []
    for assessment in qs:
        key = ("unit", assessment.unit_id) if assessment.unit_id else ("site", assessment.site_id)
        if key in seen:
            continue
        seen.add(key)
        rows.append(assessment)
    order = {level: i for i, level in enumerate(HIGH_RISK_LEVELS)}
    rows.sort(key=lambda a: (order[a.level], -a.score))
    return rows


@dataclass
class BlindSpots:
    site_types: list = field(default_factory=list)  # (SiteType, number of visible sites)
    units: list = field(default_factory=list)
    sites: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.site_types) + len(self.units) + len(self.sites)


def blind_spots(user, limit: int = 500) -> BlindSpots:
    """盲区: site types nobody is assigned to (三管三必须), and units and sites
    without an owner."""
    sites = visible_sites(user)
    types = (
        SiteType.objects.filter(is_active=True, owner__isnull=True, owner_is_street=False)
        .annotate(n=Count("sites", filter=Q(sites__in=sites.values("pk"))))
        .order_by("sort_order")
    )
    return BlindSpots(
        site_types=[(t, t.n) for t in types],
        units=list(visible_units(user).filter(owner__isnull=True).select_related("street", "sector")[:limit]),
        sites=list(sites.filter(owner__isnull=True).select_related("street", "site_type", "unit")[:limit]),
    )
