"""API of civildefence (人防工程使用备案): list (filters, cursor), detail (with the state
history and the last 12 months' checks), create, update, state change, and one month's
check coverage. Scoped like the pages: out of scope is 404; every write honours
``Idempotency-Key``."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import Cursor, Day, Id, Limit, StrictSchema, Text, filter_query, filtered, paginate_by_id
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.registry.models import Site, Unit

from . import access, selectors, services
from .choices import FilingState, Purpose
from .filters import UseFilingFilterSet
from .models import AREA_MAX, UseFiling
from .workflow import TRANSITION_NAMES

router = Router(tags=["人防工程"])

FilingListQuery = filter_query(UseFilingFilterSet, q=Text(100))
OpenState = Literal[FilingState.IN_USE.value, FilingState.IDLE.value]
PurposeValue = Literal[tuple(Purpose.values)]
TransitionName = Literal[TRANSITION_NAMES]
Area = Annotated[Decimal, Field(gt=0, le=AREA_MAX, max_digits=9, decimal_places=2, allow_inf_nan=False)]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", max_length=7)]


class CdFilingOut(Schema):
    id: int
    filing_no: str
    site_id: int
    site_name: str
    site_code: str
    street: str | None
    state: str
    state_label: str
    user_unit_id: int | None
    user_name: str
    purpose: str
    area_m2: Decimal
    filed_on: dt.date
    valid_until: dt.date
    manager_name: str
    note: str
    version: int


class CdChangeOut(Schema):
    from_state: str
    to_state: str
    changed_on: dt.date
    reason: str
    actor: str


class CdCheckOut(Schema):
    inspection_id: int | None
    inspected_on: dt.date
    organization: str


class CdMonthOut(Schema):
    month: str
    due: bool
    done: bool
    checks: list[CdCheckOut]


class CdFilingDetailOut(CdFilingOut):
    history: list[CdChangeOut]
    months: list[CdMonthOut]


class CdFilingPage(Schema):
    items: list[CdFilingOut]
    next_cursor: str | None


class CdFilingIn(StrictSchema):
    site_id: Id
    filing_no: Text(40, min_length=1)
    state: OpenState = FilingState.IN_USE.value
    user_unit_id: Id | None = None
    user_name: Text(100) = ""
    purpose: PurposeValue
    area_m2: Area
    filed_on: Day(past_only=True)
    valid_until: Day()
    manager_name: Text(50, min_length=1)
    note: Text(300) = ""


class CdFilingUpdateIn(StrictSchema):
    filing_no: Text(40, min_length=1) | None = None
    user_unit_id: Id | None = None
    clear_user_unit: bool = False
    user_name: Text(100) | None = None
    purpose: PurposeValue | None = None
    area_m2: Area | None = None
    filed_on: Day(past_only=True) | None = None
    valid_until: Day() | None = None
    manager_name: Text(50, min_length=1) | None = None
    note: Text(300) | None = None
    reason: Text(300) = ""
    expected_version: Version | None = None


class CdTransitionIn(StrictSchema):
    name: TransitionName
    reason: Text(300) = ""
    expected_version: Version | None = None


class CdMonthRowOut(Schema):
    filing_id: int
    filing_no: str
    site_id: int
    site_name: str
    state: str
    done: bool
    checks: list[CdCheckOut]


class CdMonthlyOut(Schema):
    month: str
    reference_day: dt.date
    total: int
    done: int
    missing: int
    percent: float
    items: list[CdMonthRowOut]
    next_cursor: str | None


def _checks(rows: list[dict]) -> list[dict]:
    return [
        {
            "inspection_id": c["pk"] if c["visible"] else None,
            "inspected_on": c["inspected_on"],
            "organization": c["organization__name"],
        }
        for c in rows
    ]


def filing_data(f: UseFiling) -> dict:
    return {
        "id": f.pk,
        "filing_no": f.filing_no,
        "site_id": f.site_id,
        "site_name": f.site.name,
        "site_code": f.site.public_code,
        "street": f.site.street.name if f.site.street_id else None,
        "state": f.state,
        "state_label": f.get_state_display(),
        "user_unit_id": f.user_unit_id,
        "user_name": f.user_label,
        "purpose": f.purpose,
        "area_m2": f.area_m2,
        "filed_on": f.filed_on,
        "valid_until": f.valid_until,
        "manager_name": f.manager_name,
        "note": f.note,
        "version": f.version,
    }


def _detail(request, filing: UseFiling) -> dict:
    history = [
        {
            "from_state": c.from_state,
            "to_state": c.to_state,
            "changed_on": c.changed_on,
            "reason": c.reason,
            "actor": c.actor.username if c.actor else "",
        }
        for c in selectors.filing_history(filing)
    ]
    months = [
        {"month": f"{m.first:%Y-%m}", "due": m.due, "done": m.done, "checks": _checks(m.checks)}
        for m in selectors.filing_months(request.auth, filing, timezone.localdate())
    ]
    return {**filing_data(filing), "history": history, "months": months}


def _fetch(request, pk: int) -> UseFiling:
    return get_scoped_or_404(UseFiling, request.auth, "view", pk=pk)


def _unit(request, pk: int | None) -> Unit | None:
    return get_scoped_or_404(Unit, request.auth, "view", pk=pk) if pk else None


@router.get(
    "/civildefence/filings",
    response=CdFilingPage,
    summary="人防工程使用备案列表（按状态、街道、部门、有效期筛选，游标分页）",
)
def filing_list(request, filters: Query[FilingListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = filtered(request, UseFilingFilterSet, access.visible_filings(request.auth), user=request.auth)
    qs = qs.select_related("site__street", "user_unit")
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit)
    return {"items": [filing_data(f) for f in items], "next_cursor": next_cursor}


@router.get(
    "/civildefence/filings/{pk}",
    response=CdFilingDetailOut,
    summary="使用备案详情（含状态变更记录和近 12 个月检查情况）",
)
def filing_detail(request, pk: Id):
    return _detail(request, _fetch(request, pk))


@router.post("/civildefence/filings", response={201: CdFilingDetailOut}, summary="登记人防工程使用备案")
@idempotent
def filing_create(request, payload: CdFilingIn):
    data = payload.model_dump()
    site = get_scoped_or_404(Site, request.auth, "view", pk=data.pop("site_id"))
    unit = _unit(request, data.pop("user_unit_id"))
    filing = services.filing_create(actor=request.auth, data={**data, "site": site, "user_unit": unit})
    return Status(201, _detail(request, filing))


@router.patch("/civildefence/filings/{pk}", response=CdFilingDetailOut, summary="修改使用备案（不含工程和使用状态）")
@idempotent
def filing_update(request, pk: Id, payload: CdFilingUpdateIn):
    filing = _fetch(request, pk)
    data = payload.model_dump(exclude_unset=True)
    reason = data.pop("reason", "")
    expected = data.pop("expected_version", None)
    clear = data.pop("clear_user_unit", False)
    data = {k: v for k, v in data.items() if v is not None}
    if "user_unit_id" in data:
        data["user_unit"] = _unit(request, data.pop("user_unit_id"))
    elif clear:
        data["user_unit"] = None
    filing = services.filing_update(
        actor=request.auth, filing=filing, data=data, reason=reason, expected_version=expected
    )
    return _detail(request, filing)


@router.post(
    "/civildefence/filings/{pk}/transition",
    response=CdFilingDetailOut,
    summary="变更使用状态（set_idle 转为闲置、resume 恢复使用、retire 报废；报废为最终状态，须填原因）",
)
@idempotent
def filing_transition(request, pk: Id, payload: CdTransitionIn):
    filing = _fetch(request, pk)
    filing = services.filing_transition(
        actor=request.auth,
        filing=filing,
        name=payload.name,
        reason=payload.reason,
        expected_version=payload.expected_version,
    )
    return _detail(request, filing)


@router.get(
    "/civildefence/monthly", response=CdMonthlyOut, summary="人防工程月度检查：某月应检工程及完成情况（默认本月）"
)
def monthly(request, month: Month | None = None, cursor: Cursor | None = None, limit: Limit = 200):
    today = timezone.localdate()
    first, problem = selectors.parse_month(month, today)
    if problem:
        raise ValidationFailed(problem, details={"month": problem})
    coverage = selectors.monthly_coverage(request.auth, first, today)
    if cursor and not cursor.isdigit():
        raise ValidationFailed("cursor 无效", details={"cursor": "应为上一页返回的 next_cursor"})
    start = int(cursor or 0)
    page = coverage.rows[start : start + limit]
    more = start + limit < len(coverage.rows)
    return {
        "month": f"{first:%Y-%m}",
        "reference_day": coverage.reference,
        "total": coverage.total,
        "done": coverage.done,
        "missing": coverage.missing,
        "percent": coverage.percent,
        "items": [
            {
                "filing_id": r.filing.pk,
                "filing_no": r.filing.filing_no,
                "site_id": r.filing.site_id,
                "site_name": r.filing.site.name,
                "state": r.state,
                "done": r.done,
                "checks": _checks(r.checks),
            }
            for r in page
        ],
        "next_cursor": str(start + limit) if more else None,
    }
