"""Service functions of the registry: units, their flags and documents,
sites, grids, risk assessments and the reference data (site types, who owns
what, tags). See docs/architecture.md for the pattern and docs/registry.md
for the rules."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhiben.audit.services import audit_record, normalize, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.core.validators import uscc_problem
from zhiben.files.services import store_uploads
from zhiben.org.choices import OrgKind, Role
from zhiben.org.models import Organization, User

from .choices import (
    AttributeKind,
    DocumentKind,
    FlagKind,
    InsuranceStatus,
    LicenseStatus,
    RiskLevel,
    RiskMethod,
    StandardizationLevel,
)
from .crypto import mask_phone
from .models import (
    Grid,
    RiskAssessment,
    Sector,
    Site,
    SiteType,
    Tag,
    Unit,
    UnitDocument,
    UnitFlag,
    new_public_code,
)

# Fields of a unit written to the audit trail as they are; the phone numbers
# are written masked (personal data stays out of the append-only trail).
UNIT_FIELDS = [
    "name",
    "uscc",
    "address",
    "street",
    "owner",
    "sector",
    "industry_type",
    "legal_rep_name",
    "safety_contact_name",
    "insurance_status",
    "insurance_expiry",
    "standardization_level",
    "license_status",
    "license_expiry",
    "note",
]
PHONE_FIELDS = ["legal_rep_phone", "safety_contact_phone"]
UNIT_DETAIL_FIELDS = [*UNIT_FIELDS[5:], *PHONE_FIELDS, "tags"]
UNIT_EDITABLE = [*UNIT_FIELDS, *PHONE_FIELDS, "tags"]
# What an enterprise user may correct on its own unit.
CONTACT_FIELDS = ["legal_rep_name", "legal_rep_phone", "safety_contact_name", "safety_contact_phone"]
SITE_FIELDS = [
    "name",
    "site_type",
    "unit",
    "address",
    "street",
    "owner",
    "latitude",
    "longitude",
    "attributes",
    "is_active",
    "note",
]
STAFF_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER)
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,18}[0-9]$")
OWNER_KINDS = {OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.OFFICE, OrgKind.STREET, OrgKind.DISTRICT}


# --- Who may do what --------------------------------------------------------------------


def _staff_over(actor: User, org: Organization | None, roles: Sequence[str] = STAFF_ROLES) -> bool:
    """``actor`` holds one of ``roles`` in ``org`` or above it."""
    if org is None:
        return False
    return any(m.role in roles and org.is_within(m.organization) for m in actor.active_memberships())


def can_create_unit(actor: User, owner: Organization | None) -> bool:
    """District administrators anywhere; department staff for units their
    own organization subtree supervises."""
    if actor.is_district_admin:
        return True
    return _staff_over(actor, owner)


def can_change_unit(actor: User, unit: Unit) -> bool:
    """All fields: the district office and the owning department's staff."""
    return actor.is_district_admin or _staff_over(actor, unit.owner)


def is_unit_member(actor: User, unit: Unit) -> bool:
    return any(m.role == Role.ENTERPRISE and m.unit_id == unit.pk for m in actor.active_memberships())


def can_see_contacts(user: User, unit: Unit) -> bool:
    """Phone numbers in clear: the district office, staff of the owning
    department (its 科室 included, and organizations above the owner), and
    the unit's own enterprise users. Everyone else sees them masked."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_district_admin or is_unit_member(user, unit):
        return True
    owner = unit.owner
    if owner is None:
        return False
    department = owner.department
    return any(
        m.role in STAFF_ROLES and (owner.is_within(m.organization) or m.organization.is_within(department))
        for m in user.active_memberships()
    )


def can_manage_site(actor: User, owner: Organization | None, street: Organization | None) -> bool:
    """The district office; the owning department's staff; the 街道's
    officers for sites in their 街道."""
    if actor.is_district_admin or _staff_over(actor, owner):
        return True
    return any(
        m.role == Role.STREET_OFFICER
        and (
            (street is not None and street.pk == m.organization_id)
            or (owner is not None and owner.is_within(m.organization))
        )
        for m in actor.active_memberships()
    )


def can_manage_grid(actor: User, owner: Organization) -> bool:
    return actor.is_district_admin or _staff_over(actor, owner, (*STAFF_ROLES, Role.STREET_OFFICER))


def can_assess(actor: User, subject: Unit | Site) -> bool:
    """The district office; the owner's staff and the third-party experts it
    commissioned; for sites also the 街道's officers."""
    if actor.is_district_admin or _staff_over(actor, subject.owner, (*STAFF_ROLES, Role.EXPERT)):
        return True
    return isinstance(subject, Site) and can_manage_site(actor, subject.owner, subject.street)


def can_add_document(actor: User, unit: Unit) -> bool:
    return can_change_unit(actor, unit) or is_unit_member(actor, unit)


# --- Units --------------------------------------------------------------------------------


def _unit_snapshot(unit: Unit) -> dict[str, Any]:
    data = snapshot(unit, UNIT_FIELDS)
    for field in PHONE_FIELDS:
        data[field] = mask_phone(getattr(unit, field))
    data["tags"] = sorted(unit.tags.values_list("code", flat=True)) if unit.pk else []
    return data


def _clean_phone(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()


# The allowed values of the unit's choice fields (sets built once: the Excel
# import checks hundreds of thousands of rows with these rules).
UNIT_CHOICE_VALUES = (
    ("insurance_status", frozenset(InsuranceStatus.values)),
    ("standardization_level", frozenset(StandardizationLevel.values)),
    ("license_status", frozenset(LicenseStatus.values)),
)


def _validate_unit(data: dict[str, Any], *, unit: Unit | None = None) -> dict[str, str]:
    def taken(uscc: str) -> bool:
        return Unit.objects.filter(uscc=uscc).exclude(pk=unit.pk if unit else None).exists()

    return unit_errors(data, uscc_taken=taken)


def unit_errors(data: dict[str, Any], *, uscc_taken: Callable[[str], bool]) -> dict[str, str]:
    """The problems of normalised unit ``data`` (see ``_normalize_unit``), by
    field. Runs no query itself: ``uscc_taken(code)`` says whether a valid
    code is already registered (the Excel import answers it from codes
    fetched in bulk, so the services and the import share these rules)."""
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = "请填写单位名称"
    elif len(data["name"]) > 200:
        errors["name"] = "单位名称不超过200字"
    uscc = data.get("uscc")
    if uscc:
        problem = uscc_problem(uscc)
        if problem:
            errors["uscc"] = problem
        elif uscc_taken(uscc):
            errors["uscc"] = "该统一社会信用代码已登记"
    street = data.get("street")
    if street is not None and street.kind != OrgKind.STREET:
        errors["street"] = "所属街道必须是街道"
    owner = data.get("owner")
    if owner is not None and owner.kind not in OWNER_KINDS:
        errors["owner"] = "行业主管部门须为委办局、科室或街道"
    for field in PHONE_FIELDS:
        value = data.get(field) or ""
        if value and not PHONE_RE.match(value):
            errors[field] = "电话号码格式不正确（数字，可含区号连字符）"
    for field, values in UNIT_CHOICE_VALUES:
        if field in data and (not isinstance(data[field], str) or data[field] not in values):
            errors[field] = "取值无效"
    for field, limit in (
        ("address", 255),
        ("industry_type", 60),
        ("legal_rep_name", 50),
        ("safety_contact_name", 50),
        ("note", 300),
    ):
        if len(data.get(field) or "") > limit:
            errors[field] = f"不超过{limit}字"
    if data.get("insurance_status") == InsuranceStatus.INSURED and not data.get("insurance_expiry"):
        errors["insurance_expiry"] = "已投保的请填写安责险到期日"
    return errors


def _normalize_unit(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for key in ("name", "address", "industry_type", "legal_rep_name", "safety_contact_name", "note"):
        if key in data:
            data[key] = (data[key] or "").strip()
    if "uscc" in data:
        data["uscc"] = (data["uscc"] or "").strip().upper() or None
    for key in PHONE_FIELDS:
        if key in data:
            data[key] = _clean_phone(data[key])
    if data.get("owner") is None and data.get("sector") is not None:
        data["owner"] = data["sector"].owner
    return data


@service("unit.create")
def unit_create(
    *,
    actor: User,
    name: str,
    uscc: str | None = None,
    address: str = "",
    street: Organization | None = None,
    owner: Organization | None = None,
    **details: Any,
) -> Unit:
    """登记单位. ``details``: any of UNIT_DETAIL_FIELDS (sector, tags, contacts,
    安责险, 标准化, 许可证 …). Without an owner, the sector's owner is taken."""
    unknown = set(details) - set(UNIT_DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"unit_create() got unexpected fields {sorted(unknown)}")
    data = _normalize_unit(
        {"name": name, "uscc": uscc, "address": address, "street": street, "owner": owner, **details}
    )
    require(can_create_unit(actor, data["owner"]), "您不能登记由其他部门主管的单位")
    errors = _validate_unit(data)
    if errors:
        raise ValidationFailed("单位信息有误：" + "；".join(errors.values()), details=errors)
    tags = list(data.pop("tags", None) or [])
    unit = Unit.objects.create(**data)
    if tags:
        unit.tags.set(tags)
    audit_record(action="unit.create", actor=actor, obj=unit, after=_unit_snapshot(unit))
    return unit


@service("unit.update")
def unit_update(*, actor: User, unit: Unit, data: dict[str, Any], reason: str = "") -> Unit:
    """Correct a unit. The district office and the owning department change
    anything (a new owner must be theirs too); the unit's own enterprise users
    only its contacts."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    unknown = set(data) - set(UNIT_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )
    merged = {f: getattr(unit, f) for f in UNIT_FIELDS + PHONE_FIELDS}
    merged.update(data)
    merged = _normalize_unit(merged)
    if can_change_unit(actor, unit):
        if merged["owner"] != unit.owner:
            require(can_create_unit(actor, merged["owner"]), "您不能把单位转给其他部门主管")
    else:
        require(is_unit_member(actor, unit), "只有主管部门或区安委办可以修改单位信息")
        require(set(data) <= set(CONTACT_FIELDS), "企业用户只能修改本单位的法定代表人和安全管理联系人")
    errors = _validate_unit(merged, unit=unit)
    if errors:
        raise ValidationFailed("单位信息有误：" + "；".join(errors.values()), details=errors)
    before = _unit_snapshot(unit)
    tags = merged.pop("tags", None)
    for key, value in merged.items():
        setattr(unit, key, value)
    unit.save()
    if tags is not None:
        unit.tags.set(tags)
    after = _unit_snapshot(unit)
    if after == before:
        return unit
    audit_record(action="unit.update", actor=actor, obj=unit, before=before, after=after, reason=reason)
    return unit


@service("unit.flag_add")
def flag_add(
    *, actor: User, unit: Unit, kind: str, reason: str, start: dt.date, end: dt.date | None = None
) -> UnitFlag:
    """标记单位 (e.g. 1年内不得评优表彰 from the accident date)."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    require(can_change_unit(actor, unit), "只有主管部门或区安委办可以标记单位")
    errors = {}
    if kind not in FlagKind.values:
        errors["kind"] = "标记类型无效"
    if not (reason or "").strip():
        errors["reason"] = "请填写原因"
    if start is None:
        errors["start"] = "请填写开始日期"
    elif end is not None and end < start:
        errors["end"] = "结束日期不能早于开始日期"
    if errors:
        raise ValidationFailed("标记信息有误：" + "；".join(errors.values()), details=errors)
    if kind == FlagKind.NO_AWARD and end is None:
        end = _one_year_after(start)
    flag = UnitFlag.objects.create(
        unit=unit, kind=kind, reason=reason.strip()[:300], start=start, end=end, created_by=actor
    )
    audit_record(
        action="unit.flag_add",
        actor=actor,
        obj=unit,
        after={"flag": flag.pk, "kind": kind, "reason": flag.reason, "start": start, "end": end},
    )
    return flag


def _one_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


@service("unit.flag_lift")
def flag_lift(*, actor: User, flag: UnitFlag, reason: str) -> UnitFlag:
    """End a flag early: it is no longer active from today."""
    flag = UnitFlag.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=flag.pk)
    require(can_change_unit(actor, flag.unit), "只有主管部门或区安委办可以解除标记")
    today = timezone.localdate()
    if not flag.is_active(today) and flag.start <= today:
        raise ConflictError("该标记已结束", code="invalid_transition")
    if not (reason or "").strip():
        raise ValidationFailed("请填写解除原因", details={"reason": "请填写解除原因"})
    before = {"start": flag.start, "end": flag.end}
    yesterday = today - dt.timedelta(days=1)
    if flag.start > yesterday:  # never took effect (starts today or later)
        flag.start = yesterday
    flag.end = yesterday
    flag.save(update_fields=["start", "end"])
    audit_record(
        action="unit.flag_lift",
        actor=actor,
        obj=flag.unit,
        before=before,
        after={"flag": flag.pk, "kind": flag.kind, "start": flag.start, "end": flag.end},
        reason=reason.strip(),
    )
    return flag


@service("unit.document_add")
def document_add(
    *, actor: User, unit: Unit, kind: str, title: str, file, expires_on: dt.date | None = None
) -> UnitDocument:
    """Add a document (证照, 承诺书 …) to the 一企一档."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    require(can_add_document(actor, unit), "您不能为该单位上传档案材料")
    errors = {}
    if kind not in DocumentKind.values:
        errors["kind"] = "材料类型无效"
    title = (title or "").strip()
    if not title:
        errors["title"] = "请填写材料名称"
    if file is None:
        errors["file"] = "请选择文件"
    if errors:
        raise ValidationFailed("材料信息有误：" + "；".join(errors.values()), details=errors)
    (stored,) = store_uploads([file])
    document = UnitDocument.objects.create(
        unit=unit,
        kind=kind,
        title=title[:100],
        expires_on=expires_on,
        file=stored,
        original_name=(file.name or "file")[:255],
        uploaded_by=actor,
    )
    audit_record(
        action="unit.document_add",
        actor=actor,
        obj=unit,
        after={"document": document.pk, "kind": kind, "title": document.title, "expires_on": expires_on},
    )
    return document


# --- Sites --------------------------------------------------------------------------------


def _clean_attributes(site_type: SiteType, raw: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The attributes of ``site_type`` from ``raw`` (unknown keys dropped),
    with errors keyed ``attr_<key>``."""
    raw = raw or {}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for spec in site_type.attributes or []:
        key, label, kind = spec["key"], spec["label"], spec.get("kind", AttributeKind.TEXT)
        value = raw.get(key)
        if isinstance(value, str):
            value = value.strip()
        if kind == AttributeKind.BOOL:
            clean[key] = value in (True, "true", "True", "1", "on", "是", 1)
            continue
        if value in (None, ""):
            if spec.get("required"):
                errors[f"attr_{key}"] = f"请填写{label}"
            continue
        if kind == AttributeKind.NUMBER:
            try:
                number = Decimal(str(value))
                if not number.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors[f"attr_{key}"] = f"{label}须为数字"
                continue
            clean[key] = int(number) if number == number.to_integral_value() else float(number)
        elif kind == AttributeKind.DATE:
            if isinstance(value, dt.date):
                clean[key] = value.isoformat()
            else:
                try:
                    clean[key] = dt.date.fromisoformat(str(value)).isoformat()
                except ValueError:
                    errors[f"attr_{key}"] = f"{label}须为日期（YYYY-MM-DD）"
        elif kind == AttributeKind.CHOICE:
            if value not in (spec.get("choices") or []):
                errors[f"attr_{key}"] = f"{label}取值应为：{'、'.join(spec.get('choices') or [])}"
            else:
                clean[key] = value
        else:
            clean[key] = str(value)[:200]
    return clean, errors


def default_site_owner(site_type: SiteType, street: Organization | None) -> Organization | None:
    """Who owns a site of this type per data/ownership.yaml."""
    if site_type.owner_is_street and street is not None:
        return street
    return site_type.owner


def _prepare_site(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    data = dict(data)
    for key in ("name", "address", "note"):
        if key in data:
            data[key] = (data[key] or "").strip()
    errors: dict[str, str] = {}
    site_type = data.get("site_type")
    unit = data.get("unit")
    if unit is not None:
        data["street"] = data.get("street") or unit.street
        data["address"] = data.get("address") or unit.address
    if not data.get("name"):
        errors["name"] = "请填写场所名称"
    elif len(data["name"]) > 200:
        errors["name"] = "名称不超过200字"
    if len(data.get("address") or "") > 255:
        errors["address"] = "地址不超过255字"
    if len(data.get("note") or "") > 300:
        errors["note"] = "备注不超过300字"
    if not isinstance(site_type, SiteType):
        errors["site_type"] = "请选择场所类型"
    else:
        data["attributes"], attr_errors = _clean_attributes(site_type, data.get("attributes"))
        errors.update(attr_errors)
    street = data.get("street")
    if street is not None and street.kind != OrgKind.STREET:
        errors["street"] = "所属街道必须是街道"
    owner = data.get("owner")
    if owner is not None and owner.kind not in OWNER_KINDS:
        errors["owner"] = "负责部门须为委办局、科室或街道"
    lat, lng = data.get("latitude"), data.get("longitude")
    if (lat is None) != (lng is None):
        errors["latitude"] = "经纬度须同时填写"
    elif lat is not None:
        try:
            lat, lng = Decimal(str(lat)).quantize(Decimal("0.000001")), Decimal(str(lng)).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            errors["latitude"] = "经纬度须为数字"
        else:
            if not (-90 <= lat <= 90):
                errors["latitude"] = "纬度应在 -90 到 90 之间"
            elif not (-180 <= lng <= 180):
                errors["longitude"] = "经度应在 -180 到 180 之间"
            data["latitude"], data["longitude"] = lat, lng
    return data, errors


def _site_snapshot(site: Site) -> dict[str, Any]:
    return {"public_code": site.public_code, **snapshot(site, SITE_FIELDS)}


@service("site.create")
def site_create(*, actor: User, data: dict[str, Any]) -> Site:
    """登记场所. Without an owner, the owner of its type (data/ownership.yaml)
    is taken; without a 街道 or address, the unit's."""
    unknown = set(data) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"site_create() got unexpected fields {sorted(unknown)}")
    data, errors = _prepare_site(data)
    if errors:
        raise ValidationFailed("场所信息有误：" + "；".join(errors.values()), details=errors)
    if data.get("owner") is None:
        data["owner"] = default_site_owner(data["site_type"], data.get("street"))
    require(can_manage_site(actor, data["owner"], data.get("street")), "您不能为该部门或街道登记场所")
    if data.get("unit") is not None:
        require(Unit.objects.restrict(actor, "view").filter(pk=data["unit"].pk).exists(), "所属单位不存在或您无权访问")
    for _ in range(5):
        try:
            with transaction.atomic():
                site = Site.objects.create(public_code=new_public_code(), **data)
            break
        except IntegrityError:  # pragma: no cover - a random code collided
            continue
    else:  # pragma: no cover
        raise ConflictError("场所码生成失败，请重试")
    audit_record(action="site.create", actor=actor, obj=site, after=_site_snapshot(site))
    return site


@service("site.update")
def site_update(*, actor: User, site: Site, data: dict[str, Any], reason: str = "") -> Site:
    site = Site.objects.select_for_update(of=("self",)).select_related("site_type").get(pk=site.pk)
    require(can_manage_site(actor, site.owner, site.street), "只有负责部门、属地街道或区安委办可以修改场所")
    unknown = set(data) - set(SITE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )
    merged = {f: getattr(site, f) for f in SITE_FIELDS}
    merged.update(data)
    merged, errors = _prepare_site(merged)
    if errors:
        raise ValidationFailed("场所信息有误：" + "；".join(errors.values()), details=errors)
    if merged.get("owner") is None:
        merged["owner"] = default_site_owner(merged["site_type"], merged.get("street"))
    if merged["owner"] != site.owner or merged.get("street") != site.street:
        require(can_manage_site(actor, merged["owner"], merged.get("street")), "您不能把场所转给其他部门或街道")
    before = _site_snapshot(site)
    for key, value in merged.items():
        setattr(site, key, value)
    site.save()
    after = _site_snapshot(site)
    if after != before:
        audit_record(action="site.update", actor=actor, obj=site, before=before, after=after, reason=reason)
    return site


# --- Grids --------------------------------------------------------------------------------


def _grid_snapshot(grid: Grid) -> dict[str, Any]:
    return normalize(
        {
            "name": grid.name,
            "owner": grid.owner_id,
            "note": grid.note,
            "streets": sorted(grid.streets.values_list("pk", flat=True)),
            "sites": sorted(grid.sites.values_list("pk", flat=True)),
            "inspectors": sorted(grid.inspectors.values_list("pk", flat=True)),
        }
    )


def _validate_grid(actor: User, data: dict[str, Any], grid: Grid | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = data.get("name") or ""
    if not name:
        errors["name"] = "请填写网格名称"
    elif len(name) > 60:
        errors["name"] = "名称不超过60字"
    owner = data.get("owner")
    if owner is None:
        errors["owner"] = "请选择负责组织"
    elif Grid.objects.filter(owner=owner, name=name).exclude(pk=grid.pk if grid else None).exists():
        errors["name"] = "该组织已有同名网格"
    if any(s.kind != OrgKind.STREET for s in data.get("streets") or []):
        errors["streets"] = "只能选择街道"
    sites = list(data.get("sites") or [])
    if sites and Site.objects.restrict(actor, "view").filter(pk__in=[s.pk for s in sites]).count() != len(
        {s.pk for s in sites}
    ):
        errors["sites"] = "部分场所不存在或您无权访问"
    if not data.get("streets") and not sites:
        errors["streets"] = "请至少选择一个街道或场所"
    if any(not u.is_active for u in data.get("inspectors") or []):
        errors["inspectors"] = "检查员账号已停用"
    return errors


def _apply_grid(grid: Grid, data: dict[str, Any]) -> None:
    grid.streets.set(data.get("streets") or [])
    grid.sites.set(data.get("sites") or [])
    grid.inspectors.set(data.get("inspectors") or [])


@service("grid.create")
def grid_create(*, actor: User, data: dict[str, Any]) -> Grid:
    """data: name, owner, streets, sites, inspectors, note."""
    data = {**data, "name": (data.get("name") or "").strip(), "note": (data.get("note") or "").strip()[:300]}
    require(data.get("owner") is not None and can_manage_grid(actor, data["owner"]), "您不能为该组织划分网格")
    errors = _validate_grid(actor, data, None)
    if errors:
        raise ValidationFailed("网格信息有误：" + "；".join(errors.values()), details=errors)
    grid = Grid.objects.create(name=data["name"], owner=data["owner"], note=data["note"])
    _apply_grid(grid, data)
    audit_record(action="grid.create", actor=actor, obj=grid, after=_grid_snapshot(grid))
    return grid


@service("grid.update")
def grid_update(*, actor: User, grid: Grid, data: dict[str, Any]) -> Grid:
    grid = Grid.objects.select_for_update().get(pk=grid.pk)
    require(can_manage_grid(actor, grid.owner), "您不能修改该网格")
    data = {**data, "name": (data.get("name") or "").strip(), "note": (data.get("note") or "").strip()[:300]}
    require(data.get("owner") is not None and can_manage_grid(actor, data["owner"]), "您不能把网格转给该组织")
    errors = _validate_grid(actor, data, grid)
    if errors:
        raise ValidationFailed("网格信息有误：" + "；".join(errors.values()), details=errors)
    before = _grid_snapshot(grid)
    grid.name, grid.owner, grid.note = data["name"], data["owner"], data["note"]
    grid.save()
    _apply_grid(grid, data)
    after = _grid_snapshot(grid)
    if after != before:
        audit_record(action="grid.update", actor=actor, obj=grid, before=before, after=after)
    return grid


# --- Risk grading -------------------------------------------------------------------------

# Bands from the highest level down; a score matching none is 低风险.
# Each band is (comparison, threshold, level). Override with ZHIBEN_RISK_BANDS.
DEFAULT_RISK_BANDS: dict[str, list[tuple[str, float, str]]] = {
    RiskMethod.LEC: [(">", 320, RiskLevel.MAJOR), (">=", 160, RiskLevel.LARGE), (">=", 70, RiskLevel.GENERAL)],
    RiskMethod.LS: [(">=", 20, RiskLevel.MAJOR), (">=", 12, RiskLevel.LARGE), (">=", 6, RiskLevel.GENERAL)],
}
# The values the LEC tables allow (作业条件危险性分析法) and the 1–5 scales of LS.
LEC_VALUES = {
    "L": ("10", "6", "3", "1", "0.5", "0.2", "0.1"),
    "E": ("10", "6", "3", "2", "1", "0.5"),
    "C": ("100", "40", "15", "7", "3", "1"),
}
LS_VALUES = {"L": ("1", "2", "3", "4", "5"), "S": ("1", "2", "3", "4", "5")}
DEFAULT_VALIDITY_DAYS = 365


def risk_bands(method: str) -> list[tuple[str, Decimal, str]]:
    configured = getattr(settings, "ZHIBEN_RISK_BANDS", None) or {}
    bands = configured.get(method) or DEFAULT_RISK_BANDS[method]
    return [(op, Decimal(str(threshold)), level) for op, threshold, level in bands]


def level_for(method: str, score: Decimal) -> str:
    for op, threshold, level in risk_bands(method):
        if (op == ">" and score > threshold) or (op == ">=" and score >= threshold):
            return level
    return RiskLevel.LOW


def risk_score(method: str, inputs: dict[str, Any]) -> tuple[Decimal, dict[str, str]]:
    """(score, the inputs as normalised strings); ValidationFailed when an
    input is missing or not one of the method's values."""
    if method not in RiskMethod.values:
        raise ValidationFailed("评估方法无效", details={"method": "应为 lec 或 ls"})
    allowed = LEC_VALUES if method == RiskMethod.LEC else LS_VALUES
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, values in allowed.items():
        raw = (inputs or {}).get(key)
        try:
            value = Decimal(str(raw)).normalize() if raw not in (None, "") else None
        except InvalidOperation:
            value = None
        match = next((v for v in values if value is not None and Decimal(v) == value), None)
        if match is None:
            errors[key] = f"{key} 取值应为：{'、'.join(values)}"
        else:
            clean[key] = match
    if errors:
        raise ValidationFailed("评估参数有误：" + "；".join(errors.values()), details=errors)
    score = Decimal(1)
    for value in clean.values():
        score *= Decimal(value)
    return score.quantize(Decimal("0.01")), clean


def _refresh_current_level(subject: Unit | Site) -> None:
    latest = subject.assessments.order_by("-assessed_on", "-id").first()
    level, on = (latest.level, latest.assessed_on) if latest else ("", None)
    type(subject).objects.filter(pk=subject.pk).update(risk_level=level, risk_assessed_on=on)
    subject.risk_level, subject.risk_assessed_on = level, on


@service("risk.assess")
def risk_assess(
    *,
    actor: User,
    unit: Unit | None = None,
    site: Site | None = None,
    method: str,
    inputs: dict[str, Any],
    assessed_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    note: str = "",
) -> RiskAssessment:
    """Record a risk assessment; the subject's current level becomes the
    latest assessment's (by date; a back-dated one only adds history)."""
    if (unit is None) == (site is None):
        raise ValidationFailed("请指定一个单位或场所", details={"subject": "单位和场所须且只能指定一个"})
    model = Unit if unit is not None else Site
    subject = model.objects.select_for_update().get(pk=(unit or site).pk)
    require(can_assess(actor, subject), "您不能评估该单位或场所的风险")
    today = timezone.localdate()
    assessed_on = assessed_on or today
    errors = {}
    if assessed_on > today:
        errors["assessed_on"] = "评估日期不能晚于今天"
    days = int(getattr(settings, "ZHIBEN_RISK_VALIDITY_DAYS", DEFAULT_VALIDITY_DAYS))
    valid_until = valid_until or assessed_on + dt.timedelta(days=days)
    if valid_until < assessed_on:
        errors["valid_until"] = "有效期不能早于评估日期"
    if errors:
        raise ValidationFailed("评估信息有误：" + "；".join(errors.values()), details=errors)
    score, clean = risk_score(method, inputs)
    level = level_for(method, score)
    assessment = RiskAssessment.objects.create(
        unit=subject if model is Unit else None,
        site=subject if model is Site else None,
        method=method,
        inputs=clean,
        score=score,
        level=level,
        assessed_on=assessed_on,
        valid_until=valid_until,
        assessor=actor,
        note=(note or "").strip(),
    )
    _refresh_current_level(subject)
    audit_record(
        action="risk.assess",
        actor=actor,
        obj=subject,
        after={
            "assessment": assessment.pk,
            "method": method,
            "inputs": clean,
            "score": score,
            "level": level,
            "assessed_on": assessed_on,
            "valid_until": valid_until,
            "current_level": subject.risk_level,
        },
    )
    return assessment


# --- Reference data -----------------------------------------------------------------------


@service("sector.load_reference")
def sectors_load(*, rows: list[dict], actor: User | None = None) -> int:
    """Create or update sectors from reference data (by code); returns how
    many changed."""
    changed = 0
    for index, row in enumerate(rows):
        owner = Organization.objects.filter(code=row["owner"]).first() if row.get("owner") else None
        defaults = {"name": row["name"], "owner": owner, "plan_file": row.get("plan") or "", "sort_order": index}
        sector = Sector.objects.filter(code=row["code"]).first()
        if sector is None:
            Sector.objects.create(code=row["code"], **defaults)
            changed += 1
        elif any(getattr(sector, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(sector, k, v)
            sector.save()
            changed += 1
    if changed:
        audit_record(
            action="sector.load_reference", actor=actor, object_type="registry.sector", after={"changed": changed}
        )
    return changed


def _check_attribute_specs(code: str, specs: Iterable[dict]) -> list[dict]:
    clean = []
    seen = set()
    for spec in specs or []:
        key, kind = spec.get("key"), spec.get("kind", AttributeKind.TEXT)
        if not key or not re.fullmatch(r"[a-z][a-z0-9_]*", key) or key in seen:
            raise ValidationFailed(f"场所类型 {code} 的专有字段编码 {key!r} 无效或重复")
        if kind not in AttributeKind.values:
            raise ValidationFailed(f"场所类型 {code} 的专有字段 {key} 类型 {kind} 无效")
        if kind == AttributeKind.CHOICE and not spec.get("choices"):
            raise ValidationFailed(f"场所类型 {code} 的专有字段 {key} 缺少选项")
        seen.add(key)
        item = {"key": key, "label": spec.get("label") or key, "kind": kind}
        if spec.get("choices"):
            item["choices"] = [str(c) for c in spec["choices"]]
        if spec.get("required"):
            item["required"] = True
        clean.append(item)
    return clean


@service("registry.load_reference")
def registry_reference_load(
    *, tags: list[tuple[str, str, str]], site_types: list[dict], ownership: dict, actor: User | None = None
) -> dict[str, int]:
    """Tags, site types and who owns each site type (idempotent, by code).
    An ownership code missing from the organizations refuses the whole load."""
    orgs = {o.code: o for o in Organization.objects.all()}
    sectors = {s.code: s for s in Sector.objects.all()}
    result = {"tags": 0, "site_types": 0}
    for index, (code, name, color) in enumerate(tags):
        defaults = {"name": name, "color": color, "sort_order": index}
        tag = Tag.objects.filter(code=code).first()
        if tag is None:
            Tag.objects.create(code=code, **defaults)
            result["tags"] += 1
    owned = (ownership or {}).get("site_types") or {}
    known_types = {row["code"] for row in site_types}
    stray = set(owned) - known_types
    if stray:
        raise ValidationFailed(f"ownership.yaml 中的场所类型不存在：{'、'.join(sorted(stray))}")
    for index, row in enumerate(site_types):
        code = row["code"]
        entry = owned.get(code) or {}
        owner = None
        if entry:
            department = orgs.get(entry.get("department") or "")
            section = orgs.get(entry.get("section") or "") if entry.get("section") else None
            if department is None or (entry.get("section") and section is None):
                raise ValidationFailed(f"ownership.yaml 中 {code} 的部门或科室编码不存在")
            if section is not None and not section.is_within(department):
                raise ValidationFailed(f"ownership.yaml 中 {code} 的科室 {section.code} 不属于 {department.code}")
            owner = section or department
        if row.get("sector") and row["sector"] not in sectors:
            raise ValidationFailed(f"场所类型 {code} 的行业领域 {row['sector']} 不存在")
        defaults = {
            "name": row["name"],
            "group": row.get("group") or "",
            "sector": sectors.get(row.get("sector") or ""),
            "attributes": _check_attribute_specs(code, row.get("attributes")),
            "owner": owner,
            "owner_is_street": bool(entry.get("street")),
            "ownership_source": str(entry.get("source") or "")[:200],
            "sort_order": index,
            "is_active": row.get("active", True),
        }
        site_type = SiteType.objects.filter(code=code).first()
        if site_type is None:
            SiteType.objects.create(code=code, **defaults)
            result["site_types"] += 1
        elif any(getattr(site_type, k) != v for k, v in defaults.items()):
            for k, v in defaults.items():
                setattr(site_type, k, v)
            site_type.save()
            result["site_types"] += 1
    if any(result.values()):
        audit_record(action="registry.load_reference", actor=actor, object_type="registry.sitetype", after=result)
    return result
