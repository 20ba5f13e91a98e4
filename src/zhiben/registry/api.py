"""API of the registry: units and sites (list with filters and cursor,
detail, create), 有限空间 (list, detail with its 作业审批, create, record a
permit) and risk assessments (create). Phone numbers are masked for
callers who may not see them, as on the pages."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import (
    Cursor,
    Day,
    Id,
    Limit,
    LocalTime,
    LocalTimeOut,
    StrictSchema,
    Text,
    filter_query,
    filtered,
    paginate_by_id,
)
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.org.models import Organization

from . import access, services
from .crypto import mask_phone
from .filters import SiteFilterSet, UnitFilterSet
from .forms import ConfinedSpaceFilterSet
from .models import (
    ConfinedHazard,
    ConfinedSpace,
    ConfinedSpaceStatus,
    ConfinedSpaceType,
    ConfinedSpaceWorkPermit,
    Sector,
    Site,
    SiteType,
    Tag,
    Unit,
)

router = Router(tags=["单位与场所"])


class OrgRef(Schema):
    id: int
    name: str


class UnitOut(Schema):
    id: int
    name: str
    uscc: str | None
    address: str
    street: OrgRef | None
    owner: OrgRef | None
    sector: str | None
    industry_type: str
    tags: list[str]
    risk_level: str
    risk_assessed_on: dt.date | None


class UnitDetailOut(UnitOut):
    legal_rep_name: str
    legal_rep_phone: str
    safety_contact_name: str
    safety_contact_phone: str
    phones_masked: bool
    insurance_status: str
    insurance_expiry: dt.date | None
    standardization_level: str
    license_status: str
    license_expiry: dt.date | None
    active_flags: list[dict]
    site_ids: list[int]
    note: str


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class UnitCreateIn(StrictSchema):
    name: Text(200)
    uscc: Text(18) | None = None
    address: Text(255) = ""
    street_id: Id | None = None
    owner_id: Id | None = None
    sector: Text(32) | None = None
    industry_type: Text(60) = ""
    tags: list[Text(32)] = Field(default=[], max_length=50)
    legal_rep_name: Text(50) = ""
    legal_rep_phone: Text(30) = ""
    safety_contact_name: Text(50) = ""
    safety_contact_phone: Text(30) = ""
    insurance_status: Text(16) = "unknown"
    insurance_expiry: Day() | None = None
    standardization_level: Text(10) = "none"
    license_status: Text(16) = "unknown"
    license_expiry: Day() | None = None
    note: Text(300) = ""


class SiteOut(Schema):
    id: int
    public_code: str
    name: str
    site_type: str
    site_type_name: str
    unit_id: int | None
    address: str
    street: OrgRef | None
    owner: OrgRef | None
    latitude: Decimal | None
    longitude: Decimal | None
    attributes: dict
    is_active: bool
    risk_level: str
    risk_assessed_on: dt.date | None


class SitePage(Schema):
    items: list[SiteOut]
    next_cursor: str | None


class SiteCreateIn(StrictSchema):
    name: Text(200)
    site_type: Text(40)
    unit_id: Id | None = None
    address: Text(255) = ""
    street_id: Id | None = None
    owner_id: Id | None = None
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6, allow_inf_nan=False)
    longitude: Decimal | None = Field(
        default=None, ge=-180, le=180, max_digits=9, decimal_places=6, allow_inf_nan=False
    )
    attributes: dict[Text(64), Text(500) | int | float | bool | None] = Field(default={}, max_length=50)
    note: Text(300) = ""


class AssessmentIn(StrictSchema):
    unit_id: Id | None = None
    site_id: Id | None = None
    method: Text(4)
    inputs: dict[Text(16), Text(20) | float | int] = Field(max_length=10)
    assessed_on: Day(past_only=True) | None = None
    valid_until: Day() | None = None
    note: Text() = ""


UnitListQuery = filter_query(UnitFilterSet, q=Text(100))
SiteListQuery = filter_query(SiteFilterSet, q=Text(100))


class AssessmentOut(Schema):
    id: int
    unit_id: int | None
    site_id: int | None
    method: str
    inputs: dict
    score: Decimal
    level: str
    level_label: str
    assessed_on: dt.date
    valid_until: dt.date
    current_level: str


def _org(org) -> dict | None:
    return {"id": org.pk, "name": org.name} if org is not None else None


def unit_summary(u: Unit) -> dict:
    return {
        "id": u.pk,
        "name": u.name,
        "uscc": u.uscc,
        "address": u.address,
        "street": _org(u.street),
        "owner": _org(u.owner),
        "sector": u.sector.code if u.sector_id else None,
        "industry_type": u.industry_type,
        "tags": [t.code for t in u.tags.all()],
        "risk_level": u.risk_level,
        "risk_assessed_on": u.risk_assessed_on,
    }


def unit_detail_data(u: Unit, user) -> dict:
    see = access.can_see_contacts(user, u)
    data = unit_summary(u)
    data.update(
        {
            "legal_rep_name": u.legal_rep_name,
            "legal_rep_phone": u.legal_rep_phone if see else mask_phone(u.legal_rep_phone),
            "safety_contact_name": u.safety_contact_name,
            "safety_contact_phone": u.safety_contact_phone if see else mask_phone(u.safety_contact_phone),
            "phones_masked": not see,
            "insurance_status": u.insurance_status,
            "insurance_expiry": u.insurance_expiry,
            "standardization_level": u.standardization_level,
            "license_status": u.license_status,
            "license_expiry": u.license_expiry,
            "active_flags": [
                {"kind": f.kind, "label": f.get_kind_display(), "start": f.start, "end": f.end, "reason": f.reason}
                for f in u.active_flags()
            ],
            "site_ids": list(access.visible_sites(user).filter(unit=u).values_list("pk", flat=True)),
            "note": u.note,
        }
    )
    return data


def site_summary(s: Site) -> dict:
    return {
        "id": s.pk,
        "public_code": s.public_code,
        "name": s.name,
        "site_type": s.site_type.code,
        "site_type_name": s.site_type.name,
        "unit_id": s.unit_id,
        "address": s.address,
        "street": _org(s.street),
        "owner": _org(s.owner),
        "latitude": s.latitude,
        "longitude": s.longitude,
        "attributes": s.attributes or {},
        "is_active": s.is_active,
        "risk_level": s.risk_level,
        "risk_assessed_on": s.risk_assessed_on,
    }


def _org_or_error(pk: int | None, field: str, errors: dict) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        errors[field] = "不存在"
    return org


@router.get("/units", response=UnitPage, summary="单位列表（筛选，游标分页）")
def unit_list(request, filters: Query[UnitListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = filtered(request, UnitFilterSet, access.visible_units(request.auth), user=request.auth)
    qs = qs.select_related("street", "owner", "sector").prefetch_related("tags")
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit)
    return {"items": [unit_summary(u) for u in items], "next_cursor": next_cursor}


@router.get("/units/{pk}", response=UnitDetailOut, summary="单位详情（一企一档概要）")
def unit_detail(request, pk: Id):
    unit = get_scoped_or_404(Unit, request.auth, "view", pk=pk)
    return unit_detail_data(unit, request.auth)


@router.post("/units", response={201: UnitDetailOut}, summary="登记单位")
@idempotent
def unit_create(request, payload: UnitCreateIn):
    data = payload.model_dump()
    errors: dict[str, str] = {}
    street = _org_or_error(data.pop("street_id"), "street_id", errors)
    owner = _org_or_error(data.pop("owner_id"), "owner_id", errors)
    sector_code = data.pop("sector")
    sector = Sector.objects.filter(code=sector_code).first() if sector_code else None
    if sector_code and sector is None:
        errors["sector"] = "行业领域编码不存在"
    tag_codes = data.pop("tags")
    tags = list(Tag.objects.filter(code__in=tag_codes))
    if len(tags) != len(set(tag_codes)):
        errors["tags"] = "标签编码不存在"
    if errors:
        raise ValidationFailed("单位信息有误", details=errors)
    unit = services.unit_create(
        actor=request.auth,
        name=data.pop("name"),
        uscc=data.pop("uscc"),
        address=data.pop("address"),
        street=street,
        owner=owner,
        sector=sector,
        tags=tags,
        **data,
    )
    return Status(201, unit_detail_data(unit, request.auth))


@router.get(
    "/sites",
    response=SitePage,
    summary="场所列表（筛选，游标分页）",
    description=(
        "选定场所类型（site_type）后，还可按该类型的选项型专有字段筛选：参数名为 attr_<字段键>，"
        "取值须为该字段的选项之一，如 site_type=medical&attr_category=二级以上医院；"
        "所选类型没有的 attr_ 参数或不在选项内的取值答 422。"
    ),
)
def site_list(request, filters: Query[SiteListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = filtered(request, SiteFilterSet, access.visible_sites(request.auth), user=request.auth)
    qs = qs.select_related("site_type", "street", "owner")
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit)
    return {"items": [site_summary(s) for s in items], "next_cursor": next_cursor}


@router.get("/sites/{pk}", response=SiteOut, summary="场所详情")
def site_detail(request, pk: Id):
    return site_summary(get_scoped_or_404(Site, request.auth, "view", pk=pk))


@router.post("/sites", response={201: SiteOut}, summary="登记场所（未指定负责部门时按分工确定）")
@idempotent
def site_create(request, payload: SiteCreateIn):
    data = payload.model_dump()
    errors: dict[str, str] = {}
    site_type = SiteType.objects.filter(code=data.pop("site_type"), is_active=True).first()
    if site_type is None:
        errors["site_type"] = "场所类型编码不存在"
    street = _org_or_error(data.pop("street_id"), "street_id", errors)
    owner = _org_or_error(data.pop("owner_id"), "owner_id", errors)
    unit_id = data.pop("unit_id")
    if errors:
        raise ValidationFailed("场所信息有误", details=errors)
    unit = get_scoped_or_404(Unit, request.auth, "view", pk=unit_id) if unit_id else None
    site = services.site_create(
        actor=request.auth, data={**data, "site_type": site_type, "street": street, "owner": owner, "unit": unit}
    )
    return Status(201, site_summary(site))


@router.post("/risk-assessments", response={201: AssessmentOut}, summary="记录风险评估（LEC 或 LS）")
@idempotent
def assessment_create(request, payload: AssessmentIn):
    if (payload.unit_id is None) == (payload.site_id is None):
        raise ValidationFailed("请指定 unit_id 或 site_id 之一", details={"unit_id": "单位和场所须且只能指定一个"})
    subject = (
        {"unit": get_scoped_or_404(Unit, request.auth, "view", pk=payload.unit_id)}
        if payload.unit_id
        else {"site": get_scoped_or_404(Site, request.auth, "view", pk=payload.site_id)}
    )
    assessment = services.risk_assess(
        actor=request.auth,
        method=payload.method,
        inputs=payload.inputs,
        assessed_on=payload.assessed_on,
        valid_until=payload.valid_until,
        note=payload.note,
        **subject,
    )
    return Status(
        201,
        {
            "id": assessment.pk,
            "unit_id": assessment.unit_id,
            "site_id": assessment.site_id,
            "method": assessment.method,
            "inputs": assessment.inputs,
            "score": assessment.score,
            "level": assessment.level,
            "level_label": assessment.get_level_display(),
            "assessed_on": assessment.assessed_on,
            "valid_until": assessment.valid_until,
            "current_level": assessment.subject.risk_level,
        },
    )


# --- 有限空间 -------------------------------------------------------------------------------

ConfinedListQuery = filter_query(ConfinedSpaceFilterSet, q=Text(100))
SpaceType = Literal[tuple(ConfinedSpaceType.values)]
Hazard = Literal[tuple(ConfinedHazard.values)]
SpaceStatus = Literal[tuple(ConfinedSpaceStatus.values)]


def _reading(high: int, digits: int) -> Any:
    return Annotated[Decimal, Field(ge=0, le=high, max_digits=digits, decimal_places=1, allow_inf_nan=False)]


class ConfinedSpaceOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    site_id: int | None
    code: str
    name: str
    location: str
    space_type: str
    space_type_label: str
    hazards: list[str]
    has_warning_sign: bool
    manager_name: str
    status: str
    note: str


class ConfinedPermitOut(Schema):
    id: int
    space_id: int
    work_date: dt.date
    start_time: LocalTimeOut
    end_time: LocalTimeOut
    content: str
    contractor: str
    approver_name: str
    guardian_name: str
    oxygen_pct: Decimal
    lel_pct: Decimal
    h2s_ppm: Decimal
    co_ppm: Decimal
    approved: bool
    note: str
    recorded_by: str
    withdrawn: bool
    withdrawn_at: dt.datetime | None
    withdraw_reason: str


class ConfinedSpaceDetailOut(ConfinedSpaceOut):
    permits: list[ConfinedPermitOut]


class ConfinedSpacePage(Schema):
    items: list[ConfinedSpaceOut]
    next_cursor: str | None


class ConfinedSpaceIn(StrictSchema):
    unit_id: Id
    site_id: Id | None = None
    code: Text(30) = ""
    name: Text(100, min_length=1)
    location: Text(200) = ""
    space_type: SpaceType
    hazards: list[Hazard] = Field(default=[], max_length=len(ConfinedHazard.values))
    has_warning_sign: bool = False
    manager_name: Text(50) = ""
    status: SpaceStatus = ConfinedSpaceStatus.IN_USE.value
    note: Text(300) = ""


class ConfinedPermitIn(StrictSchema):
    work_date: Day()
    start_time: LocalTime
    end_time: LocalTime
    content: Text(300, min_length=1)
    contractor: Text(100) = ""
    approver_name: Text(50, min_length=1)
    guardian_name: Text(50, min_length=1)
    oxygen_pct: _reading(100, 4)
    lel_pct: _reading(100, 4)
    h2s_ppm: _reading(1000, 5)
    co_ppm: _reading(2000, 5)
    approved: bool = False
    note: Text(300) = ""


class ConfinedPermitPatch(StrictSchema):
    """更正: only the fields sent change; ``reason`` says why (kept on the audit trail)."""

    work_date: Day() | None = None
    start_time: LocalTime | None = None
    end_time: LocalTime | None = None
    content: Text(300, min_length=1) | None = None
    contractor: Text(100) | None = None
    approver_name: Text(50, min_length=1) | None = None
    guardian_name: Text(50, min_length=1) | None = None
    oxygen_pct: _reading(100, 4) | None = None
    lel_pct: _reading(100, 4) | None = None
    h2s_ppm: _reading(1000, 5) | None = None
    co_ppm: _reading(2000, 5) | None = None
    approved: bool | None = None
    note: Text(300) | None = None
    reason: Text(300) = ""


class PermitWithdrawIn(StrictSchema):
    reason: Text(300, min_length=1)


def confined_summary(c: ConfinedSpace) -> dict:
    return {
        "id": c.pk,
        "unit_id": c.unit_id,
        "unit_name": c.unit.name,
        "site_id": c.site_id,
        "code": c.code,
        "name": c.name,
        "location": c.location,
        "space_type": c.space_type,
        "space_type_label": c.get_space_type_display(),
        "hazards": list(c.hazards or []),
        "has_warning_sign": c.has_warning_sign,
        "manager_name": c.manager_name,
        "status": c.status,
        "note": c.note,
    }


def permit_data(p) -> dict:
    fields = ("work_date", "start_time", "end_time", "content", "contractor", "approver_name", "guardian_name")
    data = {f: getattr(p, f) for f in fields}
    for f in ("oxygen_pct", "lel_pct", "h2s_ppm", "co_ppm", "approved", "note"):
        data[f] = getattr(p, f)
    recorder = p.recorded_by
    return {
        "id": p.pk,
        "space_id": p.space_id,
        **data,
        "recorded_by": recorder.username if recorder else "",
        "withdrawn": p.withdrawn_at is not None,
        "withdrawn_at": p.withdrawn_at,
        "withdraw_reason": p.withdraw_reason,
    }


@router.get("/confined-spaces", response=ConfinedSpacePage, summary="有限空间列表（按单位、类型、状态筛选，游标分页）")
def confined_list(request, filters: Query[ConfinedListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    qs = filtered(request, ConfinedSpaceFilterSet, access.visible_confined_spaces(request.auth), user=request.auth)
    items, next_cursor = paginate_by_id(qs.select_related("unit"), cursor=cursor, limit=limit)
    return {"items": [confined_summary(c) for c in items], "next_cursor": next_cursor}


@router.get("/confined-spaces/{pk}", response=ConfinedSpaceDetailOut, summary="有限空间详情（含作业审批记录）")
def confined_detail(request, pk: Id):
    space = get_scoped_or_404(ConfinedSpace, request.auth, "view", pk=pk)
    permits = space.permits.select_related("recorded_by")
    return {**confined_summary(space), "permits": [permit_data(p) for p in permits]}


@router.post("/confined-spaces", response={201: ConfinedSpaceOut}, summary="登记有限空间")
@idempotent
def confined_create(request, payload: ConfinedSpaceIn):
    data = payload.model_dump()
    unit = get_scoped_or_404(Unit, request.auth, "view", pk=data.pop("unit_id"))
    site_id = data.pop("site_id")
    site = get_scoped_or_404(Site, request.auth, "view", pk=site_id) if site_id else None
    space = services.confined_space_create(actor=request.auth, data={**data, "unit": unit, "site": site})
    return Status(201, confined_summary(space))


@router.post(
    "/confined-spaces/{pk}/permits", response={201: ConfinedPermitOut}, summary="记录有限空间作业审批（含气体检测）"
)
@idempotent
def confined_permit_create(request, pk: Id, payload: ConfinedPermitIn):
    space = get_scoped_or_404(ConfinedSpace, request.auth, "view", pk=pk)
    permit = services.confined_permit_record(actor=request.auth, space=space, data=payload.model_dump())
    return Status(201, permit_data(permit))


@router.patch(
    "/confined-permits/{pk}", response=ConfinedPermitOut, summary="更正有限空间作业审批（记录人，审批通过前）"
)
@idempotent
def confined_permit_update(request, pk: Id, payload: ConfinedPermitPatch):
    permit = get_scoped_or_404(ConfinedSpaceWorkPermit, request.auth, "change", pk=pk)
    data = payload.model_dump(exclude_unset=True)
    reason = data.pop("reason", "")
    nulls = sorted(k for k, v in data.items() if v is None and k not in ("contractor", "note"))
    if nulls:
        raise ValidationFailed("这些字段不能为空：" + "、".join(nulls), details={k: "不能为空" for k in nulls})
    data = {k: ("" if v is None else v) for k, v in data.items()}
    permit = services.confined_permit_update(actor=request.auth, permit=permit, data=data, reason=reason)
    return permit_data(permit)


@router.post(
    "/confined-permits/{pk}/withdraw", response=ConfinedPermitOut, summary="撤回有限空间作业审批（记录人，须说明原因）"
)
@idempotent
def confined_permit_withdraw(request, pk: Id, payload: PermitWithdrawIn):
    permit = get_scoped_or_404(ConfinedSpaceWorkPermit, request.auth, "change", pk=pk)
    permit = services.confined_permit_withdraw(actor=request.auth, permit=permit, reason=payload.reason)
    return permit_data(permit)
