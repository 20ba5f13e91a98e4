"""API of traffic (道路交通): 事故多发点段 (list with filters and cursor, detail with its
整治 and the transitions the caller may make, 挂牌登记, edit, edit measures, make a
transition), the 整治进度 per year, and 一校一方案 (list, detail, create, edit, coverage
of the current 学年). Scoped like the pages: out of scope is 404; 企业用户 see nothing.
Every write honours Idempotency-Key."""

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import Cursor, Day, Id, Limit, StrictSchema, Text, Version, filter_query, filtered, paginate_by_id
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.org.models import Organization
from zhiben.registry.models import Site

from . import access, selectors, services
from .choices import ListingLevel, SchoolPlanStatus
from .filters import BlackSpotFilterSet, SchoolPlanFilterSet
from .models import FIRST_YEAR, LAST_YEAR, MAX_ACCIDENTS, BlackSpotListing, SchoolSafetyPlan
from .workflow import WORKFLOW, allowed_transitions

router = Router(tags=["道路交通"])

Year = Field(ge=FIRST_YEAR, le=LAST_YEAR)
Level = Literal[tuple(ListingLevel.values)]
PlanStatus = Literal[tuple(SchoolPlanStatus.values)]
TransitionName = Literal[tuple(t.name for t in WORKFLOW.transitions)]
ListingQuery = filter_query(BlackSpotFilterSet, q=Text(100))
PlanQuery = filter_query(SchoolPlanFilterSet, q=Text(100))


def _org(pk: int, field: str) -> Organization:
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        raise ValidationFailed("单位不存在", details={field: "不存在"})
    return org


# --- 事故多发点段 -----------------------------------------------------------------------------


class TrafficRectificationOut(Schema):
    status: str
    status_label: str
    measures: str
    started_on: dt.date | None
    finished_on: dt.date | None
    accepted_on: dt.date | None
    accepted_by: str
    evidence: str
    version: int


class TrafficListingOut(Schema):
    id: int
    site_id: int
    site_name: str
    site_code: str
    street: str | None
    year: int
    level: str
    level_label: str
    accident_count: int
    lead_org_id: int
    lead_org_name: str
    reason: str
    note: str
    rectification: TrafficRectificationOut


class TrafficListingDetailOut(TrafficListingOut):
    transitions: list[str]


class TrafficListingPage(Schema):
    items: list[TrafficListingOut]
    next_cursor: str | None


class TrafficListingIn(StrictSchema):
    site_id: Id
    year: int = Year
    level: Level
    accident_count: int = Field(0, ge=0, le=MAX_ACCIDENTS)
    lead_org_id: Id
    reason: Text(300) = ""
    note: Text(300) = ""


class TrafficListingPatch(StrictSchema):
    year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR)
    level: Level | None = None
    accident_count: int | None = Field(None, ge=0, le=MAX_ACCIDENTS)
    lead_org_id: Id | None = None
    reason: Text(300) | None = None
    note: Text(300) | None = None
    change_reason: Text(300) = ""


class TrafficRectificationPatch(StrictSchema):
    measures: Text(2000) | None = None
    evidence: Text(1000) | None = None
    expected_version: Version | None = None


class TrafficTransitionIn(StrictSchema):
    transition: TransitionName
    measures: Text(2000) = ""
    started_on: Day() | None = None
    finished_on: Day() | None = None
    accepted_on: Day() | None = None
    accepted_by: Text(100) = ""
    evidence: Text(1000) = ""
    reason: Text(300) = ""
    expected_version: Version | None = None


def rect_data(rect) -> dict:
    fields = ("status", "measures", "started_on", "finished_on", "accepted_on", "accepted_by", "evidence", "version")
    return {**{f: getattr(rect, f) for f in fields}, "status_label": rect.get_status_display()}


def listing_data(x: BlackSpotListing) -> dict:
    return {
        "id": x.pk,
        "site_id": x.site_id,
        "site_name": x.site.name,
        "site_code": x.site.public_code,
        "street": x.site.street.name if x.site.street_id else None,
        "year": x.year,
        "level": x.level,
        "level_label": x.get_level_display(),
        "accident_count": x.accident_count,
        "lead_org_id": x.lead_org_id,
        "lead_org_name": x.lead_org.name,
        "reason": x.reason,
        "note": x.note,
        "rectification": rect_data(x.rectification),
    }


def _listing(request, pk: int, action: str = "view") -> BlackSpotListing:
    found = get_scoped_or_404(BlackSpotListing, request.auth, action, pk=pk)
    return BlackSpotListing.objects.select_related(
        "site", "site__street", "site__owner", "lead_org", "rectification"
    ).get(pk=found.pk)


def _detail(request, listing: BlackSpotListing) -> dict:
    allowed = [t.name for t in allowed_transitions(request.auth, listing.rectification)]
    return {**listing_data(listing), "transitions": allowed}


@router.get("/traffic/black-spots", response=TrafficListingPage, summary="事故多发点段列表（筛选，游标分页）")
def listing_list(request, filters: Query[ListingQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = filtered(request, BlackSpotFilterSet, access.visible_listings(request.auth))
    qs = qs.select_related("site", "site__street", "lead_org", "rectification")
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit)
    return {"items": [listing_data(x) for x in items], "next_cursor": next_cursor}


@router.get(
    "/traffic/black-spots/{pk}",
    response=TrafficListingDetailOut,
    summary="事故多发点段详情（含整治记录和可办理的操作）",
)
def listing_detail(request, pk: Id):
    return _detail(request, _listing(request, pk))


@router.post("/traffic/black-spots", response={201: TrafficListingDetailOut}, summary="挂牌登记事故多发点段")
@idempotent
def listing_create(request, payload: TrafficListingIn):
    data = payload.model_dump()
    site = get_scoped_or_404(Site, request.auth, "view", pk=data.pop("site_id"))
    data["site"] = site
    data["lead_org"] = _org(data.pop("lead_org_id"), "lead_org_id")
    listing = services.listing_create(actor=request.auth, data=data)
    return Status(201, _detail(request, _listing(request, listing.pk)))


@router.patch("/traffic/black-spots/{pk}", response=TrafficListingDetailOut, summary="修改挂牌信息")
@idempotent
def listing_update(request, pk: Id, payload: TrafficListingPatch):
    listing = _listing(request, pk, "change")
    data = payload.model_dump(exclude_unset=True)
    reason = data.pop("change_reason", "")
    if "lead_org_id" in data:
        lead = data.pop("lead_org_id")
        if lead is None:
            raise ValidationFailed("请选择牵头单位", details={"lead_org_id": "不能为空"})
        data["lead_org"] = _org(lead, "lead_org_id")
    for key in ("year", "level", "accident_count"):
        if key in data and data[key] is None:
            raise ValidationFailed("必填项不能为空", details={key: "不能为空"})
    services.listing_update(actor=request.auth, listing=listing, data=data, reason=reason)
    return _detail(request, _listing(request, pk))


@router.patch(
    "/traffic/black-spots/{pk}/rectification", response=TrafficListingDetailOut, summary="修改整治措施、佐证说明"
)
@idempotent
def rectification_update(request, pk: Id, payload: TrafficRectificationPatch):
    listing = _listing(request, pk, "change")
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("expected_version", None)
    data = {k: v or "" for k, v in data.items()}
    services.rectification_update(
        actor=request.auth, rectification=listing.rectification, data=data, expected_version=version
    )
    return _detail(request, _listing(request, pk))


@router.post(
    "/traffic/black-spots/{pk}/transition",
    response=TrafficListingDetailOut,
    summary="整治操作：启动整治、完成整治、验收、验收退回",
)
@idempotent
def listing_transition(request, pk: Id, payload: TrafficTransitionIn):
    listing = _listing(request, pk)
    data = payload.model_dump()
    name, reason, version = data.pop("transition"), data.pop("reason"), data.pop("expected_version")
    services.rectification_transition(
        actor=request.auth,
        rectification=listing.rectification,
        name=name,
        data=data,
        reason=reason,
        expected_version=version,
    )
    return _detail(request, _listing(request, pk))


class TrafficPointOut(Schema):
    id: int
    site_name: str
    year: int
    level: str
    status: str
    finished_on: dt.date | None
    counted: bool


class TrafficYearOut(Schema):
    year: int
    as_of: dt.date
    target_percent: Decimal
    actual_percent: Decimal | None
    numerator: int
    denominator: int
    met: bool | None
    points: list[TrafficPointOut]
    points_not_listed: int


class TrafficProgressOut(Schema):
    definition: str
    years: list[TrafficYearOut]


@router.get(
    "/traffic/black-spot-progress",
    response=TrafficProgressOut,
    summary="事故多发点段整治进度（2024/2025/2026年目标、实际、分子/分母及点段）",
)
def progress(request):
    from .indicators import RULE_DESCRIPTION

    years = selectors.black_spot_progress(request.auth, timezone.localdate())
    return {
        "definition": RULE_DESCRIPTION,
        "years": [
            {
                "year": y.year,
                "as_of": y.as_of,
                "target_percent": y.target,
                "actual_percent": y.value,
                "numerator": y.numerator,
                "denominator": y.denominator,
                "met": y.met,
                "points": [
                    {
                        "id": x.pk,
                        "site_name": x.site.name,
                        "year": x.year,
                        "level": x.level,
                        "status": x.rectification.status,
                        "finished_on": x.rectification.finished_on,
                        "counted": x.pk in y.counted,
                    }
                    for x in y.points
                ],
                "points_not_listed": y.more,
            }
            for y in years
        ],
    }


# --- 一校一方案 -------------------------------------------------------------------------------


class TrafficPlanOut(Schema):
    id: int
    site_id: int
    site_name: str
    site_code: str
    street: str | None
    school_year: int
    school_year_label: str
    guard_posts: str
    traffic_facilities: str
    pickup_order: str
    police_name: str
    police_phone: str
    reviewed_on: dt.date | None
    status: str
    status_label: str
    note: str
    version: int


class TrafficPlanPage(Schema):
    items: list[TrafficPlanOut]
    next_cursor: str | None


class TrafficPlanIn(StrictSchema):
    site_id: Id
    school_year: int = Year
    guard_posts: Text(1000) = ""
    traffic_facilities: Text(1000) = ""
    pickup_order: Text(1000) = ""
    police_name: Text(50) = ""
    police_phone: Text(20) = ""
    reviewed_on: Day(past_only=True) | None = None
    status: PlanStatus = SchoolPlanStatus.DRAFTING.value
    note: Text(300) = ""


class TrafficPlanPatch(StrictSchema):
    guard_posts: Text(1000) | None = None
    traffic_facilities: Text(1000) | None = None
    pickup_order: Text(1000) | None = None
    police_name: Text(50) | None = None
    police_phone: Text(20) | None = None
    reviewed_on: Day(past_only=True) | None = None
    status: PlanStatus | None = None
    note: Text(300) | None = None
    change_reason: Text(300) = ""
    expected_version: Version | None = None


class TrafficSchoolOut(Schema):
    id: int
    name: str
    site_code: str
    street: str | None


class TrafficCoverageOut(Schema):
    school_year: int
    total: int
    covered: int
    without_plan: list[TrafficSchoolOut]
    without_not_listed: int


def plan_data(p: SchoolSafetyPlan) -> dict:
    texts = ("guard_posts", "traffic_facilities", "pickup_order", "police_name", "police_phone", "note")
    return {
        "id": p.pk,
        "site_id": p.site_id,
        "site_name": p.site.name,
        "site_code": p.site.public_code,
        "street": p.site.street.name if p.site.street_id else None,
        "school_year": p.school_year,
        "school_year_label": p.school_year_label,
        **{f: getattr(p, f) for f in texts},
        "reviewed_on": p.reviewed_on,
        "status": p.status,
        "status_label": p.get_status_display(),
        "version": p.version,
    }


@router.get("/traffic/school-plans", response=TrafficPlanPage, summary="一校一方案列表（筛选，游标分页）")
def plan_list(request, filters: Query[PlanQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = filtered(request, SchoolPlanFilterSet, access.visible_school_plans(request.auth))
    items, next_cursor = paginate_by_id(qs.select_related("site", "site__street"), cursor=cursor, limit=limit)
    return {"items": [plan_data(p) for p in items], "next_cursor": next_cursor}


@router.get(
    "/traffic/school-plans/coverage",
    response=TrafficCoverageOut,
    summary="本学年一校一方案覆盖情况（含尚无方案的学校）",
)
def plan_coverage(request):
    coverage = selectors.school_coverage(request.auth, timezone.localdate())
    shown = list(coverage["without"][:500])
    missing = coverage["total"] - coverage["covered"]
    return {
        "school_year": coverage["school_year"],
        "total": coverage["total"],
        "covered": coverage["covered"],
        "without_plan": [
            {"id": s.pk, "name": s.name, "site_code": s.public_code, "street": s.street.name if s.street_id else None}
            for s in shown
        ],
        "without_not_listed": max(0, missing - len(shown)),
    }


@router.get("/traffic/school-plans/{pk}", response=TrafficPlanOut, summary="一校一方案详情")
def plan_detail(request, pk: Id):
    return plan_data(get_scoped_or_404(SchoolSafetyPlan, request.auth, "view", pk=pk))


@router.post("/traffic/school-plans", response={201: TrafficPlanOut}, summary="编制一校一方案")
@idempotent
def plan_create(request, payload: TrafficPlanIn):
    data = payload.model_dump()
    data["site"] = get_scoped_or_404(Site, request.auth, "view", pk=data.pop("site_id"))
    plan = services.school_plan_create(actor=request.auth, data=data)
    return Status(201, plan_data(plan))


@router.patch("/traffic/school-plans/{pk}", response=TrafficPlanOut, summary="修改一校一方案")
@idempotent
def plan_update(request, pk: Id, payload: TrafficPlanPatch):
    plan = get_scoped_or_404(SchoolSafetyPlan, request.auth, "change", pk=pk)
    data = payload.model_dump(exclude_unset=True)
    reason, version = data.pop("change_reason", ""), data.pop("expected_version", None)
    if "status" in data and data["status"] is None:
        raise ValidationFailed("状态不能为空", details={"status": "不能为空"})
    data = {k: ("" if v is None and k != "reviewed_on" else v) for k, v in data.items()}
    plan = services.school_plan_update(
        actor=request.auth, plan=plan, data=data, reason=reason, expected_version=version
    )
    return plan_data(SchoolSafetyPlan.objects.select_related("site", "site__street").get(pk=plan.pk))
