"""Read-side computations: the sites a campaign targets, coverage, frequency (due / late), repeat
problems (屡禁不止) and inspector activity (监督人员履职). All take the
querysets the caller may see and fixed dates, so they are testable."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q

from zhiben.org.access import subtree_q
from zhiben.org.models import Organization, User
from zhiben.registry.models import Grid, Site, SiteType

from .choices import AnswerResult, FrequencyPeriod, InspectionStatus
from .models import Campaign, InspectionAnswer


def target_sites(target: dict[str, Any] | None):
    """The Site queryset a target filter selects (active sites only).

    Criteria are ANDed: ``site_types`` (type codes), ``streets`` (街道
    organization codes), ``owner`` (organization code; its subtree),
    ``grid`` (grid id), ``attributes`` (exact values in Site.attributes).
    Explicit ``sites`` (ids) are added to the result. No criteria and no
    sites selects nothing.
    """
    target = target or {}
    qs = Site.objects.filter(is_active=True)
    q = Q()
    has_criteria = False
    if target.get("site_types"):
        q &= Q(site_type__code__in=target["site_types"])
        has_criteria = True
    if target.get("streets"):
        q &= Q(street__code__in=target["streets"])
        has_criteria = True
    if target.get("owner"):
        owner = Organization.objects.filter(code=target["owner"]).first()
        q &= subtree_q("owner", [owner] if owner else [])
        has_criteria = True
    if target.get("grid"):
        grid = Grid.objects.filter(pk=target["grid"]).first()
        q &= grid.site_q() if grid else Q(pk__in=[])
        has_criteria = True
    for key, value in (target.get("attributes") or {}).items():
        q &= Q(**{f"attributes__{key}": value})
        has_criteria = True
    explicit = Q(pk__in=[int(pk) for pk in target.get("sites") or []])
    if has_criteria:
        return qs.filter(q | explicit)
    return qs.filter(explicit)


def finished_in_period(campaign: Campaign):
    return campaign.inspections.filter(
        status=InspectionStatus.FINISHED, inspected_on__gte=campaign.period_start, inspected_on__lte=campaign.period_end
    )


@dataclass
class Coverage:
    targets: int
    covered: int

    @property
    def percent(self) -> float:
        return round(100 * self.covered / self.targets, 1) if self.targets else 0.0


def coverage(campaign: Campaign) -> Coverage:
    """Targets with ≥ 1 finished inspection of this campaign in its period ÷ targets."""
    targets = target_sites(campaign.target)
    covered = targets.filter(pk__in=finished_in_period(campaign).values("site_id")).count()
    return Coverage(targets=targets.count(), covered=covered)


# --- Frequency ------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _window(period: str, day: dt.date, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar window of ``period`` containing ``day`` (biweekly windows
    count 14 days from ``anchor``, the campaign start)."""
    if period == FrequencyPeriod.BIWEEKLY:
        offset = (day - anchor).days // 14
        start = anchor + dt.timedelta(days=14 * offset)
        return start, start + dt.timedelta(days=13)
    months = {FrequencyPeriod.YEAR: 12, FrequencyPeriod.HALF_YEAR: 6, FrequencyPeriod.QUARTER: 3}.get(period, 1)
    first_month = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first_month, 1)
    return start, _add_months(start, months) - dt.timedelta(days=1)


def slot_of(period: str, times: int, day: dt.date, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The slot containing ``day``: the period's window split into ``times``
    equal parts (每年2次 → two half-years; 每月1次 → the month). One
    inspection is due per slot."""
    start, end = _window(period, day, anchor)
    length = (end - start).days + 1
    for k in range(times):
        slot_start = start + dt.timedelta(days=k * length // times)
        slot_end = start + dt.timedelta(days=(k + 1) * length // times - 1)
        if slot_start <= day <= slot_end:
            return slot_start, slot_end
    return start, end  # pragma: no cover - the slots cover the window


@dataclass
class DueRow:
    site: Site
    last_inspected_on: dt.date | None
    slot_start: dt.date
    slot_end: dt.date
    done_in_slot: bool
    next_due: dt.date | None
    late: bool
    missed_slots: int
    missed: list[tuple[dt.date, dt.date]] = field(default_factory=list)


def schedule(campaign: Campaign, today: dt.date) -> list[DueRow]:
    """Per target site: last inspection, whether the current slot is done,
    the next due date (end of the current slot, or of the next one when the
    current is done) and ``late`` — the last slot that has ended (within the
    campaign period) had no inspection. Only finished inspections of this
    campaign count."""
    if not campaign.frequency_times:
        return []
    times, period = campaign.frequency_times, campaign.frequency_period
    anchor = campaign.period_start
    day = min(max(today, campaign.period_start), campaign.period_end)
    slot_start, slot_end = slot_of(period, times, day, anchor)
    ended: list[tuple[dt.date, dt.date]] = []
    cursor = campaign.period_start
    while True:
        s, e = slot_of(period, times, cursor, anchor)
        s = max(s, campaign.period_start)
        if e >= today or s > campaign.period_end:
            break
        ended.append((s, min(e, campaign.period_end)))
        cursor = e + dt.timedelta(days=1)
    dates: dict[int, list[dt.date]] = defaultdict(list)
    for site_id, day_done in finished_in_period(campaign).values_list("site_id", "inspected_on"):
        dates[site_id].append(day_done)
    rows = []
    for site in target_sites(campaign.target).select_related("street", "site_type", "owner"):
        done = sorted(dates.get(site.pk, []))
        in_slot = any(slot_start <= d <= slot_end for d in done)
        missed = [(s, e) for s, e in ended if not any(s <= d <= e for d in done)]
        if in_slot:
            following = slot_end + dt.timedelta(days=1)
            next_due = slot_of(period, times, following, anchor)[1] if following <= campaign.period_end else None
        else:
            next_due = slot_end
        rows.append(
            DueRow(
                site=site,
                last_inspected_on=done[-1] if done else None,
                slot_start=slot_start,
                slot_end=slot_end,
                done_in_slot=in_slot,
                next_due=next_due,
                late=bool(ended) and ended[-1] in missed,
                missed_slots=len(missed),
                missed=missed,
            )
        )
    rows.sort(key=lambda r: (not r.late, r.done_in_slot, r.next_due or dt.date.max, r.site.name))
    return rows


# --- 屡禁不止 ---------------------------------------------------------------------------------


@dataclass
class RepeatRow:
    site: Site
    category_name: str
    inspections: int
    dates: list[dt.date]


def repeat_problems(inspections, start: dt.date, end: dt.date, min_count: int = 2) -> list[RepeatRow]:
    """Sites where failed items of the same hazard category were found in ≥
    ``min_count`` finished inspections between ``start`` and ``end``."""
    answers = InspectionAnswer.objects.filter(
        inspection__in=inspections.filter(
            status=InspectionStatus.FINISHED, inspected_on__gte=start, inspected_on__lte=end
        ),
        result=AnswerResult.FAIL,
        category__isnull=False,
    )
    grouped = (
        answers.values("inspection__site_id", "category_id", "category__name")
        .annotate(n=Count("inspection_id", distinct=True))
        .filter(n__gte=min_count)
        .order_by("-n", "inspection__site_id")
    )
    sites = Site.objects.in_bulk([g["inspection__site_id"] for g in grouped])
    rows = []
    for g in grouped:
        dates = sorted(
            set(
                answers.filter(inspection__site_id=g["inspection__site_id"], category_id=g["category_id"]).values_list(
                    "inspection__inspected_on", flat=True
                )
            )
        )
        rows.append(RepeatRow(sites[g["inspection__site_id"]], g["category__name"], g["n"], dates))
    return rows


# --- 监督人员履职 ---------------------------------------------------------------------------


@dataclass
class ActivityRow:
    label: str
    inspections: int
    hazards: int
    last_on: dt.date | None
    never_visited: int | None = None
    never_visited_sample: list[Site] = field(default_factory=list)


def inspector_activity(inspections, start: dt.date, end: dt.date, sites=None) -> dict[str, list[ActivityRow]]:
    """Finished inspections (and hazards found) per inspector and per team
    organization (the inspecting organization and 联合检查 organizations)
    between ``start`` and ``end``; for each organization, the sites it owns
    (subtree) among ``sites`` that no finished inspection visited."""
    finished = inspections.filter(status=InspectionStatus.FINISHED, inspected_on__gte=start, inspected_on__lte=end)
    hazard_count = Count("answers__hazard", distinct=True)
    by_user = (
        finished.values("inspectors__id", "inspectors__display_name", "inspectors__username")
        .exclude(inspectors__id=None)
        .annotate(n=Count("pk", distinct=True), h=hazard_count, last=Max("inspected_on"))
        .order_by("-n", "inspectors__username")
    )
    per_user = [
        ActivityRow(r["inspectors__display_name"] or r["inspectors__username"], r["n"], r["h"], r["last"])
        for r in by_user
    ]
    org_stats: dict[int, dict] = {}
    for row in (
        finished.prefetch_related("team_orgs")
        .select_related("organization")
        .annotate(h=Count("answers__hazard", distinct=True))
    ):
        for org in {row.organization, *row.team_orgs.all()}:
            stat = org_stats.setdefault(org.pk, {"org": org, "n": 0, "h": 0, "last": None})
            stat["n"] += 1
            stat["h"] += row.h
            stat["last"] = max(filter(None, [stat["last"], row.inspected_on]))
    visited = finished.values("site_id")
    per_org = []
    for stat in sorted(org_stats.values(), key=lambda s: (-s["n"], s["org"].path)):
        row = ActivityRow(str(stat["org"]), stat["n"], stat["h"], stat["last"])
        if sites is not None:
            unvisited = sites.filter(subtree_q("owner", stat["org"]) | Q(street_id=stat["org"].pk)).exclude(
                pk__in=visited
            )
            row.never_visited = unvisited.count()
            row.never_visited_sample = list(unvisited.order_by("name")[:20])
        per_org.append(row)
    return {"inspectors": per_user, "organizations": per_org}


# --- Campaign pages -------------------------------------------------------------------------


def draws_of(campaign: Campaign) -> list[tuple]:
    """The campaign's draws, each with its sites and inspectors."""
    return [
        (d, list(Site.objects.filter(pk__in=d.site_ids)), list(User.objects.filter(pk__in=d.inspector_ids)))
        for d in campaign.draws.select_related("drawn_by")
    ]


def self_check_sites(unit_ids: list[int]):
    """The active sites of the given units (an enterprise user's own)."""
    return Site.objects.filter(unit_id__in=unit_ids, is_active=True)


def _names(model, field: str, values) -> str:
    found = {getattr(obj, field): str(obj) for obj in model.objects.filter(**{f"{field}__in": list(values)})}
    return "、".join(found.get(v, str(v)) for v in values)


def describe_target(target: dict | None) -> list[tuple[str, str]]:
    """The campaign's 检查对象条件 as (label, value) lines in words, not its JSON."""
    target = target or {}
    lines: list[tuple[str, str]] = []
    if target.get("site_types"):
        lines.append(("场所类型", _names(SiteType, "code", target["site_types"])))
    if target.get("streets"):
        lines.append(("街道", _names(Organization, "code", target["streets"])))
    if target.get("owner"):
        lines.append(("负责部门", _names(Organization, "code", [target["owner"]]) + "（含下级）"))
    if target.get("grid"):
        grid = Grid.objects.filter(pk=target["grid"]).first()
        lines.append(("网格", grid.name if grid else "（已删除的网格）"))
    attributes = target.get("attributes") or {}
    if attributes:
        labels = {}
        for site_type in SiteType.objects.filter(code__in=target.get("site_types") or []):
            labels.update({spec["key"]: spec["label"] for spec in site_type.attributes or [] if "key" in spec})
        shown = []
        for key, value in attributes.items():
            value = {True: "是", False: "否"}.get(value, value) if isinstance(value, bool) else value
            shown.append(f"{labels.get(key, key)}：{value}")
        lines.append(("场所属性", "；".join(shown)))
    if target.get("sites"):
        ids = [int(pk) for pk in target["sites"]]
        names = list(Site.objects.filter(pk__in=ids).order_by("name").values_list("name", flat=True)[:10])
        more = f" 等 {len(ids)} 处" if len(ids) > len(names) or len(ids) > 10 else ""
        lines.append(("另加场所", "、".join(names) + more))
    return lines
