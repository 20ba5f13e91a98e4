"""场所/工程/点位：新建、修改、属性。"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User

from ..access import can_manage_site
from ..choices import (
    AttributeKind,
)
from ..models import (
    Site,
    SiteType,
    Unit,
    new_public_code,
)
from ._common import OWNER_KINDS, SITE_FIELDS

# --- Sites --------------------------------------------------------------------------------


def clean_attributes(site_type: SiteType, raw: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
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


def prepare_site(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Site ``data`` normalised and checked by the rules of ``site_create`` /
    ``site_update`` (text stripped; 街道 and address taken from the unit when
    empty; attributes cleaned by the type; coordinates as 6-place decimals):
    ``(data, errors by field)``. Runs no query and checks no right, so that
    the Excel import applies the same rules to every row."""
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
        data["attributes"], attr_errors = clean_attributes(site_type, data.get("attributes"))
        errors.update(attr_errors)
    street = data.get("street")
    if street is not None and street.kind != OrgKind.STREET:
        errors["street"] = "所属街道必须是街道"
    owner = data.get("owner")
    if owner is not None and owner.kind not in OWNER_KINDS:
        errors["owner"] = "负责部门须为委办局、科室或街道"
    _check_coordinates(data, errors)
    return data, errors


def _check_coordinates(data: dict[str, Any], errors: dict[str, str]) -> None:
    """Latitude and longitude: both or neither, numbers within range,
    quantized to 6 places in ``data``; problems into ``errors``."""
    lat, lng = data.get("latitude"), data.get("longitude")
    if (lat is None) != (lng is None):
        errors["latitude"] = "经纬度须同时填写"
        return
    if lat is None:
        return
    try:
        lat, lng = Decimal(str(lat)).quantize(Decimal("0.000001")), Decimal(str(lng)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors["latitude"] = "经纬度须为数字"
        return
    if not (-90 <= lat <= 90):
        errors["latitude"] = "纬度应在 -90 到 90 之间"
    elif not (-180 <= lng <= 180):
        errors["longitude"] = "经度应在 -180 到 180 之间"
    data["latitude"], data["longitude"] = lat, lng


def _site_snapshot(site: Site) -> dict[str, Any]:
    return {"public_code": site.public_code, **snapshot(site, SITE_FIELDS)}


@service("site.create")
def site_create(*, actor: User, data: dict[str, Any]) -> Site:
    """登记场所. Without an owner, the owner of its type (data/ownership.yaml)
    is taken; without a 街道 or address, the unit's."""
    unknown = set(data) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"site_create() got unexpected fields {sorted(unknown)}")
    data, errors = prepare_site(data)
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
    merged, errors = prepare_site(merged)
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
