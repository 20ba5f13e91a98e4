"""生产经营单位：新建、修改、联系人与电话、证照与承诺书、标记。"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.core.validators import uscc_problem
from zhiben.files.services import store_uploads
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User

from ..access import can_add_document, can_change_unit, can_create_unit, is_unit_member
from ..choices import (
    DocumentKind,
    FlagKind,
    InsuranceStatus,
    LicenseStatus,
    StandardizationLevel,
)
from ..crypto import mask_phone
from ..models import (
    Unit,
    UnitDocument,
    UnitFlag,
)
from ._common import CONTACT_FIELDS, OWNER_KINDS, PHONE_FIELDS, PHONE_RE, UNIT_DETAIL_FIELDS, UNIT_EDITABLE, UNIT_FIELDS

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
    """The problems of normalised unit ``data`` (see ``normalize_unit``), by
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


def normalize_unit(data: dict[str, Any]) -> dict[str, Any]:
    """Unit ``data`` as ``unit_create``/``unit_update`` (and the Excel import)
    check it: text stripped, the code upper-cased (empty: None), phones with
    single spaces, the sector's 主管部门 as owner when none is given."""
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
    data = normalize_unit({"name": name, "uscc": uscc, "address": address, "street": street, "owner": owner, **details})
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
    merged = normalize_unit(merged)
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
