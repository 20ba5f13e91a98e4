"""API of transport (道路运输): vehicles, drivers and violations (list with cursor,
detail, create, update; writes honour Idempotency-Key), the monthly 高风险 list and the
riders' 红黑榜. Scoped as the pages: out of scope is 404."""

import datetime as dt
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import Cursor, Day, Id, Limit, StrictSchema, Text, filter_query, filtered, paginate_by_id
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import PermissionDeniedError
from zhiben.registry.crypto import mask_phone
from zhiben.registry.models import Unit

from . import access, selectors, services
from .choices import DriverStatus, LicenceClass, VehicleStatus, VehicleType, ViolationKind, ViolationSource
from .filters import DriverFilterSet, VehicleFilterSet, ViolationFilterSet
from .models import MAX_POINTS, Driver, Vehicle, Violation

router = Router(tags=["道路运输"])

VType = Literal[tuple(VehicleType.values)]
VStatus = Literal[tuple(VehicleStatus.values)]
DStatus = Literal[tuple(DriverStatus.values)]
Licence = Literal[tuple(LicenceClass.values)]
Kind = Literal[tuple(ViolationKind.values)]
Source = Literal[tuple(ViolationSource.values)]
# Strict: a JSON boolean is not a score (pydantic would read false as 0).
PointsInt = Annotated[int, Field(strict=True, ge=0, le=MAX_POINTS)]
Month = Annotated[str, Field(pattern=r"^\d{4}-\d{2}$", max_length=7, description="YYYY-MM；缺省为本月")]


def _listed(filterset_class, request, queryset, cursor, limit):
    qs = filtered(request, filterset_class, queryset, user=request.auth)
    return paginate_by_id(qs, cursor=cursor, limit=limit, descending=True)


def _unit(request, pk: int) -> Unit:
    unit = get_scoped_or_404(Unit, request.auth, "view", pk=pk)
    if not access.can_manage_fleet(request.auth, unit):
        raise PermissionDeniedError("只有该企业、其行业主管部门或区安委办可以登记")
    return unit


# --- Vehicles --------------------------------------------------------------------------------------


class VehicleOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    plate: str
    vehicle_type: str
    vehicle_type_label: str
    status: str
    inspection_due: dt.date | None
    insurance_due: dt.date | None
    note: str


class VehiclePage(Schema):
    items: list[VehicleOut]
    next_cursor: str | None


class VehicleIn(StrictSchema):
    unit_id: Id
    plate: Text(12, min_length=1)
    vehicle_type: VType
    status: VStatus = VehicleStatus.IN_USE.value
    inspection_due: Day() | None = None
    insurance_due: Day() | None = None
    note: Text(300) = ""


class VehiclePatch(StrictSchema):
    plate: Text(12, min_length=1) | None = None
    vehicle_type: VType | None = None
    status: VStatus | None = None
    inspection_due: Day() | None = None
    insurance_due: Day() | None = None
    note: Text(300) | None = None
    reason: Text(300) = ""


def vehicle_data(v: Vehicle) -> dict:
    return {
        "id": v.pk,
        "unit_id": v.unit_id,
        "unit_name": v.unit.name,
        "plate": v.plate,
        "vehicle_type": v.vehicle_type,
        "vehicle_type_label": v.get_vehicle_type_display(),
        "status": v.status,
        "inspection_due": v.inspection_due,
        "insurance_due": v.insurance_due,
        "note": v.note,
    }


def _changes(payload, nullable: tuple[str, ...] = ()) -> tuple[dict, str]:
    """The fields sent (a date may be sent as null to clear it), and the reason."""
    data = payload.model_dump(exclude_unset=True)
    reason = data.pop("reason", "")
    for key, value in list(data.items()):
        if value is None and key not in nullable:
            data.pop(key)
    return data, reason


@router.get("/transport/vehicles", response=VehiclePage, summary="车辆列表（按企业、类型、状态筛选，游标分页）")
def vehicle_list(
    request,
    filters: Query[filter_query(VehicleFilterSet, q=Text(100))],
    cursor: Cursor | None = None,
    limit: Limit = 50,
):
    items, next_cursor = _listed(
        VehicleFilterSet, request, access.visible_vehicles(request.auth).select_related("unit"), cursor, limit
    )
    return {"items": [vehicle_data(v) for v in items], "next_cursor": next_cursor}


@router.get("/transport/vehicles/{pk}", response=VehicleOut, summary="车辆详情")
def vehicle_detail(request, pk: Id):
    return vehicle_data(get_scoped_or_404(Vehicle, request.auth, "view", pk=pk))


@router.post("/transport/vehicles", response={201: VehicleOut}, summary="登记车辆")
@idempotent
def vehicle_create(request, payload: VehicleIn):
    data = payload.model_dump()
    data["unit"] = _unit(request, data.pop("unit_id"))
    return Status(201, vehicle_data(services.vehicle_create(actor=request.auth, data=data)))


@router.patch("/transport/vehicles/{pk}", response=VehicleOut, summary="修改车辆（只改所给字段）")
@idempotent
def vehicle_update(request, pk: Id, payload: VehiclePatch):
    vehicle = get_scoped_or_404(Vehicle, request.auth, "view", pk=pk)
    data, reason = _changes(payload, ("inspection_due", "insurance_due"))
    return vehicle_data(services.vehicle_update(actor=request.auth, vehicle=vehicle, data=data, reason=reason))


# --- Drivers ---------------------------------------------------------------------------------------


class DriverOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    name: str
    id_number: str = Field(description="在可查看该企业联系方式时为明文，否则脱敏")
    phone: str
    licence_class: str
    licence_expiry: dt.date | None
    points: int
    status: str
    note: str


class DriverPage(Schema):
    items: list[DriverOut]
    next_cursor: str | None


class DriverIn(StrictSchema):
    unit_id: Id
    name: Text(50, min_length=1)
    id_number: Text(18) = ""
    phone: Text(30) = ""
    licence_class: Licence
    licence_expiry: Day() | None = None
    points: PointsInt = 0
    status: DStatus = DriverStatus.ACTIVE.value
    note: Text(300) = ""


class DriverPatch(StrictSchema):
    name: Text(50, min_length=1) | None = None
    id_number: Text(18) | None = None
    phone: Text(30) | None = None
    licence_class: Licence | None = None
    licence_expiry: Day() | None = None
    points: PointsInt | None = None
    status: DStatus | None = None
    note: Text(300) | None = None
    reason: Text(300) = ""


def driver_data(d: Driver, user, clear: dict[int, bool] | None = None) -> dict:
    clear = {} if clear is None else clear
    if d.unit_id not in clear:
        clear[d.unit_id] = access.can_see_contacts(user, d.unit)
    show = clear[d.unit_id]
    return {
        "id": d.pk,
        "unit_id": d.unit_id,
        "unit_name": d.unit.name,
        "name": d.name,
        "id_number": d.id_number if show else services.mask_id(d.id_number),
        "phone": d.phone if show else mask_phone(d.phone),
        "licence_class": d.licence_class,
        "licence_expiry": d.licence_expiry,
        "points": d.points,
        "status": d.status,
        "note": d.note,
    }


@router.get("/transport/drivers", response=DriverPage, summary="驾驶员列表（游标分页；身份证号、电话按权限脱敏）")
def driver_list(
    request, filters: Query[filter_query(DriverFilterSet, q=Text(100))], cursor: Cursor | None = None, limit: Limit = 50
):
    qs = access.visible_drivers(request.auth).select_related("unit__owner")
    items, next_cursor = _listed(DriverFilterSet, request, qs, cursor, limit)
    clear: dict[int, bool] = {}
    return {"items": [driver_data(d, request.auth, clear) for d in items], "next_cursor": next_cursor}


@router.get("/transport/drivers/{pk}", response=DriverOut, summary="驾驶员详情")
def driver_detail(request, pk: Id):
    return driver_data(get_scoped_or_404(Driver, request.auth, "view", pk=pk), request.auth)


@router.post("/transport/drivers", response={201: DriverOut}, summary="登记驾驶员")
@idempotent
def driver_create(request, payload: DriverIn):
    data = payload.model_dump()
    data["unit"] = _unit(request, data.pop("unit_id"))
    return Status(201, driver_data(services.driver_create(actor=request.auth, data=data), request.auth))


@router.patch("/transport/drivers/{pk}", response=DriverOut, summary="修改驾驶员（只改所给字段）")
@idempotent
def driver_update(request, pk: Id, payload: DriverPatch):
    driver = get_scoped_or_404(Driver, request.auth, "view", pk=pk)
    data, reason = _changes(payload, ("licence_expiry",))
    driver = services.driver_update(actor=request.auth, driver=driver, data=data, reason=reason)
    return driver_data(driver, request.auth)


# --- Violations ------------------------------------------------------------------------------------


class ViolationOut(Schema):
    id: int
    unit_id: int
    vehicle_id: int | None
    plate: str | None
    driver_id: int | None
    driver_name: str | None
    occurred_on: dt.date
    kind: str
    kind_label: str
    points: int
    source: str
    note: str
    import_job: int | None


class ViolationPage(Schema):
    items: list[ViolationOut]
    next_cursor: str | None


class ViolationIn(StrictSchema):
    vehicle_id: Id | None = None
    driver_id: Id | None = None
    occurred_on: Day(past_only=True)
    kind: Kind
    points: PointsInt = 0
    source: Source
    note: Text(300) = ""


class ViolationPatch(StrictSchema):
    occurred_on: Day(past_only=True) | None = None
    kind: Kind | None = None
    points: PointsInt | None = None
    source: Source | None = None
    note: Text(300) | None = None
    reason: Text(300) = ""


def violation_data(v: Violation) -> dict:
    return {
        "id": v.pk,
        "unit_id": v.unit_id,
        "vehicle_id": v.vehicle_id,
        "plate": v.vehicle.plate if v.vehicle else None,
        "driver_id": v.driver_id,
        "driver_name": v.driver.name if v.driver else None,
        "occurred_on": v.occurred_on,
        "kind": v.kind,
        "kind_label": v.get_kind_display(),
        "points": v.points,
        "source": v.source,
        "note": v.note,
        "import_job": v.import_job,
    }


@router.get("/transport/violations", response=ViolationPage, summary="违法记录列表（游标分页，新的在前）")
def violation_list(
    request,
    filters: Query[filter_query(ViolationFilterSet, q=Text(100))],
    cursor: Cursor | None = None,
    limit: Limit = 50,
):
    qs = access.visible_violations(request.auth).select_related("vehicle", "driver")
    items, next_cursor = _listed(ViolationFilterSet, request, qs, cursor, limit)
    return {"items": [violation_data(v) for v in items], "next_cursor": next_cursor}


@router.get("/transport/violations/{pk}", response=ViolationOut, summary="违法记录详情")
def violation_detail(request, pk: Id):
    return violation_data(get_scoped_or_404(Violation, request.auth, "view", pk=pk))


@router.post("/transport/violations", response={201: ViolationOut}, summary="记录违法（车辆、驾驶员至少一项）")
@idempotent
def violation_create(request, payload: ViolationIn):
    data = payload.model_dump()
    vehicle_id, driver_id = data.pop("vehicle_id"), data.pop("driver_id")
    data["vehicle"] = get_scoped_or_404(Vehicle, request.auth, "view", pk=vehicle_id) if vehicle_id else None
    data["driver"] = get_scoped_or_404(Driver, request.auth, "view", pk=driver_id) if driver_id else None
    return Status(201, violation_data(services.violation_create(actor=request.auth, data=data)))


@router.patch("/transport/violations/{pk}", response=ViolationOut, summary="修改违法记录（只改所给字段）")
@idempotent
def violation_update(request, pk: Id, payload: ViolationPatch):
    violation = get_scoped_or_404(Violation, request.auth, "view", pk=pk)
    data, reason = _changes(payload)
    violation = services.violation_update(actor=request.auth, violation=violation, data=data, reason=reason)
    return violation_data(violation)


# --- Monthly reports ------------------------------------------------------------------------------


class RiskRowOut(Schema):
    kind: Literal["vehicle", "driver"]
    id: int
    label: str
    unit_id: int
    unit_name: str
    violations: int
    rules: list[str]
    reasons: list[str]


class HighRiskOut(Schema):
    month: str
    rules: dict[str, str]
    items: list[RiskRowOut]


@router.get("/transport/high-risk", response=HighRiskOut, summary="月度高风险车辆、驾驶员清单（含列入原因）")
def high_risk(request, month: Month | None = None):
    today = timezone.localdate()
    chosen = selectors.parse_month(month, today)
    rows = selectors.high_risk(request.auth, chosen, today)
    items = [
        {
            "kind": r.kind,
            "id": r.obj.pk,
            "label": r.label,
            "unit_id": r.unit.pk,
            "unit_name": r.unit.name,
            "violations": r.violations,
            "rules": r.codes,
            "reasons": r.reasons,
        }
        for r in rows
    ]
    return {"month": f"{chosen:%Y-%m}", "rules": selectors.RULES, "items": items}


class StationOut(Schema):
    platform: str
    station: str
    violations: int
    riders: int


class PlatformOut(Schema):
    platform: str
    violations: int
    stations: int
    riders: int


class RankingOut(Schema):
    month: str
    total: int
    platforms: list[PlatformOut]
    black: list[StationOut]
    red: list[StationOut]
    red_rule: str


@router.get("/transport/rider-ranking", response=RankingOut, summary="骑手交通违法红黑榜（按月）")
def rider_ranking(request, month: Month | None = None):
    if not access.can_see_riders(request.auth):
        raise PermissionDeniedError("红黑榜供区安委办、行业部门和街道使用")
    chosen = selectors.parse_month(month, timezone.localdate())
    ranking = selectors.rider_ranking(request.auth, chosen)
    return {
        "month": f"{chosen:%Y-%m}",
        "total": ranking.total,
        "platforms": [p.__dict__ for p in ranking.platforms],
        "black": [s.__dict__ for s in ranking.black],
        "red": [s.__dict__ for s in ranking.red],
        "red_rule": ranking.red_rule,
    }
