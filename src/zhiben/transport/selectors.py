"""Scoped reads of the road-transport register for pages, API, exports and the tick:
the filtered lists, the monthly 高风险 list and the riders' 红黑榜. No writes.

高风险 (``high_risk``), for one calendar month, "as of" the month's last day (today
for the current month). A vehicle is high-risk when one of these holds:

* V1 本月违法 ≥ 3 次: three or more violations of the vehicle dated in the month;
* V2 本月有酒驾或超速50%以上: any violation of either kind in the month;
* V3 年检逾期: an 在用 vehicle whose next 年检 date is before the as-of day;
* V4 保险过期: an 在用 vehicle whose insurance ended before the as-of day.

A driver is high-risk when one of these holds:

* D1 本月违法 ≥ 3 次 and D2 本月有酒驾或超速50%以上, as for vehicles;
* D3 记分 ≥ 9: a driver not 离职 with 9 or more points in the current scoring cycle
  (the register keeps the current score only, so a past month shows today's score);
* D4 驾驶证过期: a driver not 离职 whose licence expired before the as-of day.

Every row lists all the rules it meets, in this order. 注销 vehicles and 离职 drivers
are listed only for their violations (V1, V2, D1, D2).

红黑榜 (``rider_ranking``), per month, of the 外卖/快递 stations (平台 + 站点名称):
黑榜 the ``BLACK_SIZE`` stations with the most violations in the month (ties by
platform and station name); 红榜 the stations seen in the twelve months up to the
month's end with no violation in the month — or, when every such station has one,
those with the fewest that are not on the 黑榜. Platforms are ranked by their count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from zhiben.registry.models import Unit

from .access import (
    fleet_units,
    visible_drivers,
    visible_rider_violations,
    visible_vehicles,
    visible_violations,
)
from .choices import SERIOUS_KINDS, DriverStatus, VehicleStatus
from .filters import DriverFilterSet, RiderFilterSet, VehicleFilterSet, ViolationFilterSet
from .models import Driver, RiderViolation, Vehicle, Violation

MANY_VIOLATIONS = 3
HIGH_POINTS = 9
BLACK_SIZE = 10
RED_SIZE = 20
RULES = {
    "V1": f"本月违法 ≥ {MANY_VIOLATIONS} 次",
    "V2": "本月有酒驾或超速50%以上违法",
    "V3": "年检逾期",
    "V4": "保险过期",
    "D1": f"本月违法 ≥ {MANY_VIOLATIONS} 次",
    "D2": "本月有酒驾或超速50%以上违法",
    "D3": f"记分 ≥ {HIGH_POINTS} 分",
    "D4": "驾驶证过期",
}


def _filtered(filterset_class, params, queryset, user):
    filterset = filterset_class(params or None, queryset=queryset, user=user)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs


def filter_vehicles(user, params) -> tuple[VehicleFilterSet, QuerySet[Vehicle]]:
    """The vehicle filter of ``params`` and the vehicles ``user`` sees that it selects (all
    visible ones while the filter is empty or invalid), by plate."""
    filterset, qs = _filtered(VehicleFilterSet, params, visible_vehicles(user), user)
    return filterset, qs.select_related("unit").order_by("plate", "pk")


def filter_drivers(user, params) -> tuple[DriverFilterSet, QuerySet[Driver]]:
    filterset, qs = _filtered(DriverFilterSet, params, visible_drivers(user), user)
    return filterset, qs.select_related("unit__owner").order_by("unit__name", "name", "pk")


def filter_violations(user, params) -> tuple[ViolationFilterSet, QuerySet[Violation]]:
    filterset, qs = _filtered(ViolationFilterSet, params, visible_violations(user), user)
    return filterset, qs.select_related("unit", "vehicle", "driver").order_by("-occurred_on", "-pk")


def filter_riders(user, params, month: dt.date | None = None) -> tuple[RiderFilterSet, QuerySet[RiderViolation]]:
    """The riders' violations ``user`` sees (of ``month`` when given), filtered."""
    qs = visible_rider_violations(user)
    if month is not None:
        start, end = month_bounds(month)
        qs = qs.filter(occurred_on__gte=start, occurred_on__lte=end)
    filterset, qs = _filtered(RiderFilterSet, params, qs, user)
    return filterset, qs.order_by("-occurred_on", "platform", "station", "pk")


def units_for_fleet(user) -> QuerySet[Unit]:
    """The units whose vehicles and drivers ``user`` may register (the forms' choices)."""
    return fleet_units(user).order_by("name")


def vehicle_violations(vehicle: Vehicle, limit: int = 100) -> QuerySet[Violation]:
    return vehicle.violations.select_related("driver").order_by("-occurred_on", "-pk")[:limit]


def driver_violations(driver: Driver, limit: int = 100) -> QuerySet[Violation]:
    return driver.violations.select_related("vehicle").order_by("-occurred_on", "-pk")[:limit]


# --- Months -----------------------------------------------------------------------------------


def parse_month(value: str | None, today: dt.date) -> dt.date:
    """``YYYY-MM`` → the month's first day; anything else, a month before 2000 or after
    the current one → the current month."""
    current = today.replace(day=1)
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        chosen = dt.date(year, month, 1)
    except (TypeError, ValueError):
        return current
    return chosen if dt.date(2000, 1, 1) <= chosen <= current else current


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    start = month.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)


def previous_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


# --- 高风险 ------------------------------------------------------------------------------------


@dataclass
class RiskRow:
    """One high-risk vehicle or driver of a month, with the rules it meets."""

    kind: str  # "vehicle" | "driver"
    obj: Vehicle | Driver
    violations: int = 0
    codes: list[str] = field(default_factory=list)

    @property
    def unit(self) -> Unit:
        return self.obj.unit

    @property
    def reasons(self) -> list[str]:
        return [RULES[c] for c in self.codes]

    @property
    def label(self) -> str:
        return self.obj.plate if self.kind == "vehicle" else self.obj.name


def _violation_counts(violations: QuerySet[Violation], key: str, start: dt.date, end: dt.date) -> dict[int, tuple]:
    rows = (
        violations.filter(occurred_on__gte=start, occurred_on__lte=end, **{f"{key}__isnull": False})
        .order_by()
        .values(key)
        .annotate(n=Count("pk"), serious=Count("pk", filter=Q(kind__in=SERIOUS_KINDS)))
    )
    return {r[key]: (r["n"], r["serious"]) for r in rows}


def _rows(kind: str, objects: QuerySet, counts: dict[int, tuple], flagged: dict[int, list[str]], prefix: str):
    ids = set(counts) | set(flagged)
    result = []
    for obj in objects.filter(pk__in=ids).select_related("unit"):
        n, serious = counts.get(obj.pk, (0, 0))
        codes = []
        if n >= MANY_VIOLATIONS:
            codes.append(f"{prefix}1")
        if serious:
            codes.append(f"{prefix}2")
        codes += flagged.get(obj.pk, [])
        if codes:
            result.append(RiskRow(kind, obj, n, codes))
    return result


def high_risk_rows(
    month: dt.date,
    today: dt.date,
    *,
    vehicles: QuerySet[Vehicle],
    drivers: QuerySet[Driver],
    violations: QuerySet[Violation],
) -> list[RiskRow]:
    """The high-risk vehicles and drivers of ``month`` among the given querysets (already
    scoped): vehicles first, then drivers; each by unit name, then most violations."""
    start, end = month_bounds(month)
    as_of = min(end, today)
    vehicle_flags: dict[int, list[str]] = {}
    live = vehicles.filter(status=VehicleStatus.IN_USE).order_by()
    for code, column in (("V3", "inspection_due"), ("V4", "insurance_due")):
        for pk in live.filter(**{f"{column}__lt": as_of}).values_list("pk", flat=True):
            vehicle_flags.setdefault(pk, []).append(code)
    driver_flags: dict[int, list[str]] = {}
    current = drivers.exclude(status=DriverStatus.LEFT).order_by()
    for pk in current.filter(points__gte=HIGH_POINTS).values_list("pk", flat=True):
        driver_flags.setdefault(pk, []).append("D3")
    for pk in current.filter(licence_expiry__lt=as_of).values_list("pk", flat=True):
        driver_flags.setdefault(pk, []).append("D4")
    rows = _rows("vehicle", vehicles, _violation_counts(violations, "vehicle", start, end), vehicle_flags, "V")
    rows += _rows("driver", drivers, _violation_counts(violations, "driver", start, end), driver_flags, "D")
    rows.sort(key=lambda r: (r.kind != "vehicle", r.unit.name, -r.violations, r.label))
    return rows


def high_risk(user, month: dt.date, today: dt.date | None = None) -> list[RiskRow]:
    """The high-risk list of ``month`` within ``user``'s scope."""
    return high_risk_rows(
        month,
        today or timezone.localdate(),
        vehicles=visible_vehicles(user),
        drivers=visible_drivers(user),
        violations=visible_violations(user),
    )


def high_risk_all(month: dt.date, today: dt.date) -> list[RiskRow]:
    """The whole district's list (the tick's notices)."""
    return high_risk_rows(
        month, today, vehicles=Vehicle.objects.all(), drivers=Driver.objects.all(), violations=Violation.objects.all()
    )


# --- 红黑榜 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationCount:
    platform: str
    station: str
    violations: int
    riders: int


@dataclass(frozen=True)
class PlatformCount:
    platform: str
    violations: int
    stations: int
    riders: int


@dataclass
class Ranking:
    month: dt.date
    total: int
    platforms: list[PlatformCount]
    black: list[StationCount]
    red: list[StationCount]
    red_rule: str  # "zero" | "fewest" | "" (no station known)


def rider_ranking(user, month: dt.date) -> Ranking:
    """The 红黑榜 of ``month`` (see the module docstring)."""
    start, end = month_bounds(month)
    seen_since = (start - dt.timedelta(days=335)).replace(day=1)  # 12 months up to the month
    visible = visible_rider_violations(user).order_by()
    in_month = visible.filter(occurred_on__gte=start, occurred_on__lte=end)
    stations = [
        StationCount(r["platform"], r["station"], r["n"], r["riders"])
        for r in in_month.values("platform", "station").annotate(
            n=Count("pk"), riders=Count("rider_name", distinct=True)
        )
    ]
    platforms = [
        PlatformCount(r["platform"], r["n"], r["stations"], r["riders"])
        for r in in_month.values("platform").annotate(
            n=Count("pk"), stations=Count("station", distinct=True), riders=Count("rider_name", distinct=True)
        )
    ]
    platforms.sort(key=lambda p: (-p.violations, p.platform))
    stations.sort(key=lambda s: (-s.violations, s.platform, s.station))
    black = stations[:BLACK_SIZE]
    counted = {(s.platform, s.station) for s in stations}
    known = (
        visible.filter(occurred_on__gte=seen_since, occurred_on__lte=end).values_list("platform", "station").distinct()
    )
    zero = sorted({(p, s) for p, s in known} - counted)
    if zero:
        red = [StationCount(p, s, 0, 0) for p, s in zero[:RED_SIZE]]
        rule = "zero"
    else:
        rest = stations[BLACK_SIZE:]
        fewest = min((s.violations for s in rest), default=None)
        red = sorted((s for s in rest if s.violations == fewest), key=lambda s: (s.platform, s.station))[:RED_SIZE]
        rule = "fewest" if red else ""
    return Ranking(month, sum(s.violations for s in stations), platforms, black, red, rule)
