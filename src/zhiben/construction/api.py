"""API of construction (建设工程): 危大工程 and 起重机械 (list with filters and cursor,
detail, create, update), 深基坑监测点 (detail with readings, create) and readings (POST:
the alarm is computed, recorded and notified as on the page). Scoped as the pages:
out of scope is 404; every write honours Idempotency-Key."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import Cursor, Day, Id, Limit, StrictSchema, Text, filter_query, filtered, paginate_by_id
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.registry.models import Site

from . import access, selectors, services
from .choices import CraneStatus, CraneType, ExpertConclusion, InspectionResult, MonitoringItem, WorkStatus, WorkType
from .filters import CraneFilterSet, WorkFilterSet
from .models import Crane, DangerousWork, PitMonitoringPoint, PitReading

router = Router(tags=["建设工程"])

WorkTypeIn = Literal[tuple(WorkType.values)]
WorkStatusIn = Literal[tuple(WorkStatus.values)]
ConclusionIn = Literal[("", *ExpertConclusion.values)]
CraneTypeIn = Literal[tuple(CraneType.values)]
CraneStatusIn = Literal[tuple(CraneStatus.values)]
ResultIn = Literal[("", *InspectionResult.values)]
ItemIn = Literal[tuple(MonitoringItem.values)]
Measure = Annotated[Decimal, Field(ge=-10_000_000, le=10_000_000, max_digits=12, decimal_places=2, allow_inf_nan=False)]
Threshold = Annotated[Decimal, Field(gt=0, le=10_000_000, max_digits=10, decimal_places=2, allow_inf_nan=False)]
WorkListQuery = filter_query(WorkFilterSet, q=Text(100))
CraneListQuery = filter_query(CraneFilterSet, q=Text(100))


def _filtered(request, filterset_class, queryset):
    return filtered(request, filterset_class, queryset, user=request.auth)


def _site(request, pk: int) -> Site:
    return get_scoped_or_404(Site, request.auth, "view", pk=pk)


# --- 危大工程 -------------------------------------------------------------------------------


class WorkOut(Schema):
    id: int
    site_id: int
    site_name: str
    name: str
    work_type: str
    work_type_label: str
    over_scale: bool
    scheme_approved_on: dt.date | None
    scheme_approved_by: str
    expert_review_on: dt.date | None
    expert_conclusion: str
    monitoring_required: bool
    status: str
    status_label: str
    note: str


class PointOut(Schema):
    id: int
    work_id: int
    code: str
    item: str
    item_label: str
    location: str
    unit: str
    alarm_cumulative: Decimal
    alarm_rate: Decimal | None
    is_active: bool
    note: str


class WorkDetailOut(WorkOut):
    points: list[PointOut]


class WorkPage(Schema):
    items: list[WorkOut]
    next_cursor: str | None


class WorkIn(StrictSchema):
    site_id: Id
    name: Text(100, min_length=1)
    work_type: WorkTypeIn
    over_scale: bool = False
    scheme_approved_on: Day(past_only=True) | None = None
    scheme_approved_by: Text(50) = ""
    expert_review_on: Day(past_only=True) | None = None
    expert_conclusion: ConclusionIn = ""
    monitoring_required: bool = False
    status: WorkStatusIn = WorkStatus.NOT_STARTED.value
    note: Text(300) = ""


class WorkUpdateIn(StrictSchema):
    name: Text(100, min_length=1) | None = None
    work_type: WorkTypeIn | None = None
    over_scale: bool | None = None
    scheme_approved_on: Day(past_only=True) | None = None
    scheme_approved_by: Text(50) | None = None
    expert_review_on: Day(past_only=True) | None = None
    expert_conclusion: ConclusionIn | None = None
    monitoring_required: bool | None = None
    status: WorkStatusIn | None = None
    note: Text(300) | None = None
    reason: Text(300) = ""


def work_data(w: DangerousWork) -> dict:
    return {
        "id": w.pk,
        "site_id": w.site_id,
        "site_name": w.site.name,
        **{f: getattr(w, f) for f in services.WORK_EDITABLE},
        "work_type_label": w.get_work_type_display(),
        "status_label": w.get_status_display(),
    }


def point_data(p: PitMonitoringPoint) -> dict:
    return {
        "id": p.pk,
        "work_id": p.work_id,
        **{f: getattr(p, f) for f in services.POINT_EDITABLE},
        "item_label": p.get_item_display(),
    }


def _nullable_update(payload, nullable: set[str]) -> tuple[dict, str]:
    """The fields sent (``None`` clears a date or a choice; other fields may not be null)."""
    data = payload.model_dump(exclude_unset=True)
    reason = data.pop("reason", "")
    bad = [k for k, v in data.items() if v is None and k not in nullable]
    if bad:
        raise ValidationFailed("这些字段不能为空：" + "、".join(bad), details={k: "不能为空" for k in bad})
    return data, reason


@router.get("/construction/works", response=WorkPage, summary="危大工程列表（筛选，游标分页）")
def work_list(request, filters: Query[WorkListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = _filtered(request, WorkFilterSet, access.visible_works(request.auth))
    items, next_cursor = paginate_by_id(qs.select_related("site"), cursor=cursor, limit=limit)
    return {"items": [work_data(w) for w in items], "next_cursor": next_cursor}


@router.get("/construction/works/{pk}", response=WorkDetailOut, summary="危大工程详情（含监测点）")
def work_detail(request, pk: Id):
    work = get_scoped_or_404(DangerousWork, request.auth, "view", pk=pk)
    return {**work_data(work), "points": [point_data(p) for p in selectors.work_points(request.auth, work)]}


@router.post("/construction/works", response={201: WorkOut}, summary="登记危大工程")
@idempotent
def work_create(request, payload: WorkIn):
    data = payload.model_dump()
    data["site"] = _site(request, data.pop("site_id"))
    work = services.work_create(actor=request.auth, data=data)
    return Status(201, work_data(work))


@router.patch("/construction/works/{pk}", response=WorkOut, summary="修改危大工程（含状态：超规模须专家论证通过）")
@idempotent
def work_update(request, pk: Id, payload: WorkUpdateIn):
    work = get_scoped_or_404(DangerousWork, request.auth, "view", pk=pk)
    data, reason = _nullable_update(payload, {"scheme_approved_on", "expert_review_on"})
    work = services.work_update(actor=request.auth, work=work, data=data, reason=reason)
    return work_data(work)


# --- 起重机械 -------------------------------------------------------------------------------


class CraneOut(Schema):
    id: int
    site_id: int
    site_name: str
    crane_type: str
    crane_type_label: str
    record_no: str
    model_no: str
    owner_unit: str
    installer: str
    install_notified_on: dt.date | None
    inspected_on: dt.date | None
    inspection_result: str
    inspection_valid_until: dt.date | None
    inspection_state: str
    use_registered_on: dt.date | None
    use_registration_no: str
    dismantle_notified_on: dt.date | None
    dismantled_on: dt.date | None
    status: str
    status_label: str
    note: str


class CranePage(Schema):
    items: list[CraneOut]
    next_cursor: str | None


class CraneIn(StrictSchema):
    site_id: Id
    crane_type: CraneTypeIn
    record_no: Text(40, min_length=1)
    model_no: Text(60) = ""
    owner_unit: Text(200, min_length=1)
    installer: Text(200) = ""
    install_notified_on: Day(past_only=True) | None = None
    inspected_on: Day(past_only=True) | None = None
    inspection_result: ResultIn = ""
    inspection_valid_until: Day() | None = None
    use_registered_on: Day(past_only=True) | None = None
    use_registration_no: Text(40) = ""
    dismantle_notified_on: Day(past_only=True) | None = None
    dismantled_on: Day(past_only=True) | None = None
    status: CraneStatusIn = CraneStatus.INSTALLING.value
    note: Text(300) = ""


class CraneUpdateIn(StrictSchema):
    crane_type: CraneTypeIn | None = None
    record_no: Text(40, min_length=1) | None = None
    model_no: Text(60) | None = None
    owner_unit: Text(200, min_length=1) | None = None
    installer: Text(200) | None = None
    install_notified_on: Day(past_only=True) | None = None
    inspected_on: Day(past_only=True) | None = None
    inspection_result: ResultIn | None = None
    inspection_valid_until: Day() | None = None
    use_registered_on: Day(past_only=True) | None = None
    use_registration_no: Text(40) | None = None
    dismantle_notified_on: Day(past_only=True) | None = None
    dismantled_on: Day(past_only=True) | None = None
    status: CraneStatusIn | None = None
    note: Text(300) | None = None
    reason: Text(300) = ""


CRANE_DATES = {
    "install_notified_on",
    "inspected_on",
    "inspection_valid_until",
    "use_registered_on",
    "dismantle_notified_on",
    "dismantled_on",
}


def crane_data(c: Crane) -> dict:
    return {
        "id": c.pk,
        "site_id": c.site_id,
        "site_name": c.site.name,
        **{f: getattr(c, f) for f in services.CRANE_EDITABLE},
        "crane_type_label": c.get_crane_type_display(),
        "status_label": c.get_status_display(),
        "inspection_state": c.inspection_state()[0],
    }


@router.get("/construction/cranes", response=CranePage, summary="起重机械列表（筛选，游标分页）")
def crane_list(request, filters: Query[CraneListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = _filtered(request, CraneFilterSet, access.visible_cranes(request.auth))
    items, next_cursor = paginate_by_id(qs.select_related("site"), cursor=cursor, limit=limit)
    return {"items": [crane_data(c) for c in items], "next_cursor": next_cursor}


@router.get("/construction/cranes/{pk}", response=CraneOut, summary="起重机械详情（含检验有效期状态）")
def crane_detail(request, pk: Id):
    return crane_data(get_scoped_or_404(Crane, request.auth, "view", pk=pk))


@router.post("/construction/cranes", response={201: CraneOut}, summary="登记起重机械")
@idempotent
def crane_create(request, payload: CraneIn):
    data = payload.model_dump()
    data["site"] = _site(request, data.pop("site_id"))
    crane = services.crane_create(actor=request.auth, data=data)
    return Status(201, crane_data(crane))


@router.patch("/construction/cranes/{pk}", response=CraneOut, summary="修改起重机械（在用须检验合格并使用登记）")
@idempotent
def crane_update(request, pk: Id, payload: CraneUpdateIn):
    crane = get_scoped_or_404(Crane, request.auth, "view", pk=pk)
    data, reason = _nullable_update(payload, CRANE_DATES)
    crane = services.crane_update(actor=request.auth, crane=crane, data=data, reason=reason)
    return crane_data(crane)


# --- 深基坑监测 -----------------------------------------------------------------------------


class ReadingOut(Schema):
    id: int
    point_id: int
    measured_on: dt.date
    value: Decimal
    rate: Decimal | None
    alarm: bool
    alarm_reasons: list[str]
    note: str


class PointDetailOut(PointOut):
    readings: list[ReadingOut]


class PointIn(StrictSchema):
    work_id: Id
    code: Text(30, min_length=1)
    item: ItemIn
    location: Text(100) = ""
    unit: Text(10, min_length=1) = "mm"
    alarm_cumulative: Threshold
    alarm_rate: Threshold | None = None
    is_active: bool = True
    note: Text(300) = ""


class ReadingIn(StrictSchema):
    measured_on: Day(past_only=True)
    value: Measure
    note: Text(300) = ""


def reading_data(r: PitReading) -> dict:
    return {
        "id": r.pk,
        "point_id": r.point_id,
        "measured_on": r.measured_on,
        "value": r.value,
        "rate": r.rate,
        "alarm": r.alarm,
        "alarm_reasons": [x for x in r.alarm_reason.split("|") if x],
        "note": r.note,
    }


@router.get("/construction/points/{pk}", response=PointDetailOut, summary="深基坑监测点详情（含读数，最新 2000 条）")
def point_detail(request, pk: Id):
    point = get_scoped_or_404(PitMonitoringPoint, request.auth, "view", pk=pk)
    return {**point_data(point), "readings": [reading_data(r) for r in selectors.point_series(point)]}


@router.post("/construction/points", response={201: PointOut}, summary="设置深基坑监测点（含报警值）")
@idempotent
def point_create(request, payload: PointIn):
    data = payload.model_dump()
    data["work"] = get_scoped_or_404(DangerousWork, request.auth, "view", pk=data.pop("work_id"))
    point = services.point_create(actor=request.auth, data=data)
    return Status(201, point_data(point))


@router.post(
    "/construction/points/{pk}/readings", response={201: ReadingOut}, summary="记录监测读数（超报警值即报警并通知）"
)
@idempotent
def reading_create(request, pk: Id, payload: ReadingIn):
    point = get_scoped_or_404(PitMonitoringPoint, request.auth, "view", pk=pk)
    reading = services.reading_record(actor=request.auth, point=point, data=payload.model_dump())
    return Status(201, reading_data(reading))
