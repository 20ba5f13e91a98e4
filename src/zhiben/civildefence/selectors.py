"""Read-side of civildefence: the filtered filing list (pages, API, export), a
filing's history, and the monthly checks — which filed works had a finished
inspection with the checklist ``civil-defense-monthly`` in a month.

Monthly rule (plan 主要任务5(1): 在用工程每月一次日常检查, 闲置工程每月一次日常巡检):
a filing is due in a month when its use state on the month's reference day — the
month's last day, or today for the current month — is 在用 or 闲置 (read from its
state history; a work filed after that day, or retired by then, is not due). It
is done when its work (site) has an inspection of that checklist, status 已完成,
dated within the month (any inspecting organization, 监督检查 or 企业自查).
The inspections are read from zhiben.inspections' models; nothing here writes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from zhiben.inspections.access import visible_inspections
from zhiben.inspections.choices import InspectionStatus
from zhiben.inspections.models import Checklist, ChecklistVersion, Inspection
from zhiben.registry.access import visible_sites

from .access import visible_filings
from .choices import CHECKED_STATES, FilingState
from .filters import UseFilingFilterSet
from .models import CHECKLIST_CODE, FilingStateChange, UseFiling

EARLIEST_MONTH = dt.date(2000, 1, 1)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# --- The list -----------------------------------------------------------------------------


def filter_filings(user, params, *, today: dt.date | None = None) -> tuple[UseFilingFilterSet, QuerySet[UseFiling]]:
    """The filter of ``params`` (the list's query string) and the filings ``user`` sees that
    it selects (all visible ones while the filter is empty or invalid), newest filed first."""
    filterset = UseFilingFilterSet(params or None, queryset=visible_filings(user), user=user, today=today)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.select_related("site__street", "site__owner", "user_unit").order_by("-filed_on", "-pk")


def visible_site_ids(user, site_ids) -> set[int]:
    """Of ``site_ids``, the sites ``user`` may open (and start an inspection of)."""
    return set(visible_sites(user).filter(pk__in=list(site_ids)).values_list("pk", flat=True))


def filing_history(filing: UseFiling) -> QuerySet[FilingStateChange]:
    return filing.changes.select_related("actor").order_by("changed_on", "pk")


# --- Months -------------------------------------------------------------------------------


def month_end(first: dt.date) -> dt.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def next_month(first: dt.date) -> dt.date:
    return month_end(first) + dt.timedelta(days=1)


def parse_month(text: str | None, today: dt.date) -> tuple[dt.date, str]:
    """``YYYY-MM`` → (first day of that month, problem). Empty: this month. A month before
    2000 or after this month is refused (problem in Chinese) and this month is used."""
    this = today.replace(day=1)
    if not text:
        return this, ""
    match = MONTH_RE.match(text.strip())
    if not match:
        return this, "月份格式应为 YYYY-MM（如 2026-03）"
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return this, "月份应在 01 至 12 之间"
    first = dt.date(year, month, 1)
    if not EARLIEST_MONTH <= first <= this:
        return this, "月份应在 2000-01 至本月之间"
    return first, ""


def reference_day(first: dt.date, today: dt.date) -> dt.date:
    """The day whose state decides whether a filing is due in the month of ``first``."""
    return min(month_end(first), today)


def states_on(filing_ids, day: dt.date) -> dict[int, str]:
    """Each filing's use state on ``day`` (its latest history entry dated on or before it);
    a filing with no such entry was not filed yet and is absent."""
    found: dict[int, str] = {}
    rows = (
        FilingStateChange.objects.filter(filing_id__in=list(filing_ids), changed_on__lte=day)
        .order_by("filing_id", "changed_on", "pk")
        .values_list("filing_id", "to_state")
    )
    for filing_id, state in rows:
        found[filing_id] = state
    return found


def current_checklist_version() -> ChecklistVersion | None:
    checklist = Checklist.objects.filter(code=CHECKLIST_CODE).first()
    return checklist.current_version if checklist else None


def finished_checks(site_ids, first: dt.date, last: dt.date) -> dict[int, list[dict]]:
    """Finished inspections with the monthly checklist (any version) of ``site_ids``
    dated from ``first`` to ``last``, by site, oldest first."""
    by_site: dict[int, list[dict]] = defaultdict(list)
    rows = (
        Inspection.objects.filter(
            site_id__in=list(site_ids),
            status=InspectionStatus.FINISHED,
            checklist_version__checklist__code=CHECKLIST_CODE,
            inspected_on__gte=first,
            inspected_on__lte=last,
        )
        .order_by("inspected_on", "pk")
        .values("pk", "site_id", "inspected_on", "organization__name", "kind")
    )
    for row in rows:
        by_site[row["site_id"]].append(row)
    return by_site


@dataclass
class MonthRow:
    filing: UseFiling
    state: str  # on the reference day
    checks: list[dict] = field(default_factory=list)  # each with "visible": the viewer may open it

    @property
    def done(self) -> bool:
        return bool(self.checks)

    @property
    def state_label(self) -> str:
        return FilingState(self.state).label

    @property
    def state_color(self) -> str:
        return FilingState.color_of(self.state)


@dataclass
class MonthlyCoverage:
    first: dt.date
    last: dt.date
    reference: dt.date
    rows: list[MonthRow]

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def done(self) -> int:
        return sum(1 for r in self.rows if r.done)

    @property
    def missing(self) -> int:
        return self.total - self.done

    @property
    def percent(self) -> float:
        return round(100 * self.done / self.total, 1) if self.total else 0.0


def monthly_coverage(
    user, first: dt.date, today: dt.date, filings: QuerySet[UseFiling] | None = None
) -> MonthlyCoverage:
    """The works ``user`` sees that are due in the month of ``first``, each with its
    finished checks of that month (see the module docstring). ``filings``: a narrower
    visible queryset (the page's street/organization filters)."""
    last = month_end(first)
    ref = reference_day(first, today)
    qs = filings if filings is not None else visible_filings(user)
    candidates = list(
        qs.filter(filed_on__lte=ref)
        .select_related("site__street", "site__owner", "user_unit")
        .order_by("site__name", "pk")
    )
    states = states_on([f.pk for f in candidates], ref)
    due = [f for f in candidates if states.get(f.pk) in CHECKED_STATES]
    checks = finished_checks({f.site_id for f in due}, first, last)
    ids = [c["pk"] for rows in checks.values() for c in rows]
    visible = set(visible_inspections(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    rows = []
    for filing in due:
        found = [{**c, "visible": c["pk"] in visible} for c in checks.get(filing.site_id, [])]
        rows.append(MonthRow(filing=filing, state=states[filing.pk], checks=found))
    return MonthlyCoverage(first=first, last=last, reference=ref, rows=rows)


@dataclass
class FilingMonth:
    first: dt.date
    due: bool
    state: str
    checks: list[dict]

    @property
    def done(self) -> bool:
        return bool(self.checks)


def filing_months(user, filing: UseFiling, today: dt.date, months: int = 12) -> list[FilingMonth]:
    """The last ``months`` months (this one first) of one filing: due or not, and its checks."""
    firsts = []
    first = today.replace(day=1)
    for _ in range(months):
        if month_end(first) < filing.filed_on:
            break
        firsts.append(first)
        first = previous_month(first)
    if not firsts:
        return []
    checks = finished_checks([filing.site_id], firsts[-1], month_end(firsts[0]))[filing.site_id]
    ids = [c["pk"] for c in checks]
    visible = set(visible_inspections(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    history = list(filing.changes.order_by("changed_on", "pk").values_list("changed_on", "to_state"))
    out = []
    for first in firsts:
        ref = reference_day(first, today)
        state = ""
        for day, to_state in history:
            if day <= ref:
                state = to_state
        mine = [{**c, "visible": c["pk"] in visible} for c in checks if first <= c["inspected_on"] <= month_end(first)]
        out.append(FilingMonth(first=first, due=state in CHECKED_STATES, state=state, checks=mine))
    return out


def unchecked_this_month(today: dt.date):
    """For the tick: filings due this month (state 在用/闲置 now, filed by today) whose work has
    no finished monthly check yet this month, as ``values`` rows with the site's name and owner."""
    first = today.replace(day=1)
    checked = Inspection.objects.filter(
        status=InspectionStatus.FINISHED,
        checklist_version__checklist__code=CHECKLIST_CODE,
        inspected_on__gte=first,
        inspected_on__lte=today,
    ).values("site_id")
    return (
        UseFiling.objects.filter(state__in=CHECKED_STATES, filed_on__lte=today)
        .exclude(site_id__in=checked)
        .values("pk", "filing_no", "site_id", "site__name", "site__owner_id")
    )
