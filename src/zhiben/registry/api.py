"""API of the registry: units and sites (list with filters and cursor,
detail, create) and risk assessments (create). Phone numbers are masked for
callers who may not see them, as on the pages."""

import datetime as dt
from decimal import Decimal

from django.http import QueryDict
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from zhiben.api.base import Cursor, Day, Id, Limit, StrictSchema, Text, filter_query, paginate_by_id
from zhiben.api.idempotency import idempotent
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import ValidationFailed
from zhiben.org.models import Organization

from . import access, services
from .crypto import mask_phone
from .filters import SiteFilterSet, UnitFilterSet
from .models import Sector, Site, SiteType, Tag, Unit

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


def _filter_params(request) -> QueryDict:
    params = QueryDict(mutable=True)
    params.update(request.GET)
    for key in ("cursor", "limit"):
        params.pop(key, None)
    return params


def _filter_errors(filterset) -> ValidationFailed:
    return ValidationFailed("筛选条件有误", details={k: [str(e) for e in v] for k, v in filterset.errors.items()})


def _org_or_error(pk: int | None, field: str, errors: dict) -> Organization | None:
    if pk is None:
        return None
    org = Organization.objects.filter(pk=pk).first()
    if org is None:
        errors[field] = "不存在"
    return org


@router.get("/units", response=UnitPage, summary="单位列表（筛选，游标分页）")
def unit_list(request, filters: Query[UnitListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    filterset = UnitFilterSet(_filter_params(request), queryset=access.visible_units(request.auth), user=request.auth)
    if not filterset.is_valid():
        raise _filter_errors(filterset)
    qs = filterset.qs.select_related("street", "owner", "sector").prefetch_related("tags")
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


@router.get("/sites", response=SitePage, summary="场所列表（筛选，游标分页）")
def site_list(request, filters: Query[SiteListQuery], cursor: Cursor | None = None, limit: Limit = 50):
    filterset = SiteFilterSet(_filter_params(request), queryset=access.visible_sites(request.auth), user=request.auth)
    if not filterset.is_valid():
        raise _filter_errors(filterset)
    qs = filterset.qs.select_related("site_type", "street", "owner")
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
