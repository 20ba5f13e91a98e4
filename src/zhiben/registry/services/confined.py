"""有限空间作业: register and edit a unit's confined spaces, record an entry
permit (作业审批) with the gas readings taken before entry.

Gas limits for approving an entry (先通风、再检测、后作业): oxygen 19.5–23.5 %VOL
(GB 8958 缺氧危险作业安全规程), flammable gas below 10 %LEL, hydrogen sulphide at
most 7 ppm (MAC 10 mg/m³, GBZ 2.1) and carbon monoxide at most 25 ppm (PC-STEL
30 mg/m³), converted at 20 °C. Readings outside the instrument ranges
(``GAS_RANGES``) are refused as typing errors; readings outside the limits are
recorded, but such a permit cannot be marked 审批通过.

A permit not yet 审批通过 may be corrected (``confined_permit_update``) or withdrawn with a
reason (``confined_permit_withdraw``, 撤回) by the person who recorded it, while they may
still manage the unit's confined spaces; an approved or withdrawn permit stays as it is
(refused as a conflict, on the audit trail as ``transition.refused``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.models import User

from ..access import can_manage_confined
from ..models import (
    ConfinedHazard,
    ConfinedSpace,
    ConfinedSpaceStatus,
    ConfinedSpaceType,
    ConfinedSpaceWorkPermit,
    Site,
    Unit,
)

SPACE_FIELDS = [
    "unit",
    "site",
    "code",
    "name",
    "location",
    "space_type",
    "hazards",
    "has_warning_sign",
    "manager_name",
    "status",
    "note",
]
SPACE_EDITABLE = [f for f in SPACE_FIELDS if f != "unit"]
PERMIT_FIELDS = [
    "work_date",
    "start_time",
    "end_time",
    "content",
    "contractor",
    "approver_name",
    "guardian_name",
    "oxygen_pct",
    "lel_pct",
    "h2s_ppm",
    "co_ppm",
    "approved",
    "note",
]
TEXT_LIMITS = {
    "code": ("编号", 30),
    "name": ("名称", 100),
    "location": ("位置", 200),
    "manager_name": ("管理责任人", 50),
    "note": ("备注", 300),
    "content": ("作业内容", 300),
    "contractor": ("作业单位", 100),
    "approver_name": ("审批人", 50),
    "guardian_name": ("监护人", 50),
}
# field: (label, unit, lowest, highest) — what an instrument can read.
GAS_RANGES: dict[str, tuple[str, str, Decimal, Decimal]] = {
    "oxygen_pct": ("氧气", "%VOL", Decimal(0), Decimal(100)),
    "lel_pct": ("可燃气体", "%LEL", Decimal(0), Decimal(100)),
    "h2s_ppm": ("硫化氢", "ppm", Decimal(0), Decimal(1000)),
    "co_ppm": ("一氧化碳", "ppm", Decimal(0), Decimal(2000)),
}
OXYGEN_SAFE = (Decimal("19.5"), Decimal("23.5"))
LEL_BELOW = Decimal(10)
H2S_MAX = Decimal(7)
CO_MAX = Decimal(25)
PAST_DAYS = 366 * 5


def _texts(data: dict[str, Any], errors: dict[str, str]) -> None:
    for key, (label, limit) in TEXT_LIMITS.items():
        if key not in data:
            continue
        value = data[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = f"{label}须为文字"
            continue
        data[key] = value.strip()
        if len(data[key]) > limit:
            errors[key] = f"{label}不超过{limit}字"


def clean_space(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Space ``data`` normalised and checked (no query, no right): ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    if not data.get("name") and "name" not in errors:
        errors["name"] = "请填写有限空间名称"
    if data.get("space_type") not in ConfinedSpaceType.values:
        errors["space_type"] = "类型应为：" + "、".join(t.label.split("（")[0] for t in ConfinedSpaceType)
    hazards = data.get("hazards") or []
    if not isinstance(hazards, list | tuple) or any(h not in ConfinedHazard.values for h in hazards):
        errors["hazards"] = "主要危险有害因素应从：" + "、".join(ConfinedHazard.labels) + " 中选择"
    else:
        data["hazards"] = [h for h in ConfinedHazard.values if h in hazards]  # fixed order, no repeats
    if data.get("status", ConfinedSpaceStatus.IN_USE) not in ConfinedSpaceStatus.values:
        errors["status"] = "状态应为在用或停用"
    data["has_warning_sign"] = bool(data.get("has_warning_sign"))
    unit, site = data.get("unit"), data.get("site")
    if not isinstance(unit, Unit):
        errors["unit"] = "请选择所属单位"
    elif site is not None and (not isinstance(site, Site) or site.unit_id != unit.pk):
        errors["site"] = "所在场所须为该单位的场所"
    return data, errors


def _space_snapshot(space: ConfinedSpace) -> dict[str, Any]:
    return snapshot(space, SPACE_FIELDS)


@service("confined.create")
def confined_space_create(*, actor: User, data: dict[str, Any]) -> ConfinedSpace:
    """登记有限空间 of a unit (the unit's own 企业用户, its owner's staff, the district office)."""
    unknown = set(data) - set(SPACE_FIELDS)
    if unknown:
        raise TypeError(f"confined_space_create() got unexpected fields {sorted(unknown)}")
    unit = data.get("unit")
    if isinstance(unit, Unit):
        unit = Unit.objects.select_for_update(of=("self",)).select_related("owner").get(pk=unit.pk)
        require(can_manage_confined(actor, unit), "只有该单位、其行业主管部门或区安委办可以登记有限空间")
        data = {**data, "unit": unit}
    data, errors = clean_space(data)
    if errors:
        raise ValidationFailed("有限空间信息有误：" + "；".join(errors.values()), details=errors)
    space = ConfinedSpace.objects.create(created_by=actor, **data)
    audit_record(action="confined.create", actor=actor, obj=space, after=_space_snapshot(space))
    return space


@service("confined.update")
def confined_space_update(
    *, actor: User, space: ConfinedSpace, data: dict[str, Any], reason: str = ""
) -> ConfinedSpace:
    """修改有限空间 (not its unit)."""
    space = ConfinedSpace.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=space.pk)
    require(can_manage_confined(actor, space.unit), "只有该单位、其行业主管部门或区安委办可以修改有限空间")
    unknown = set(data) - set(SPACE_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )
    merged = {f: getattr(space, f) for f in SPACE_FIELDS}
    merged.update(data)
    merged, errors = clean_space(merged)
    if errors:
        raise ValidationFailed("有限空间信息有误：" + "；".join(errors.values()), details=errors)
    before = _space_snapshot(space)
    for key, value in merged.items():
        setattr(space, key, value)
    space.save()
    after = _space_snapshot(space)
    if after != before:
        audit_record(action="confined.update", actor=actor, obj=space, before=before, after=after, reason=reason)
    return space


def _reading(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def gas_problems(data: dict[str, Any]) -> list[str]:
    """Why readings (already within range) do not allow entry; empty when they do."""
    problems = []
    oxygen = data["oxygen_pct"]
    if not OXYGEN_SAFE[0] <= oxygen <= OXYGEN_SAFE[1]:
        problems.append(f"氧气 {oxygen}% 不在 19.5%～23.5% 之间")
    if data["lel_pct"] >= LEL_BELOW:
        problems.append(f"可燃气体 {data['lel_pct']}%LEL 不低于 10%LEL")
    if data["h2s_ppm"] > H2S_MAX:
        problems.append(f"硫化氢 {data['h2s_ppm']}ppm 超过 7ppm")
    if data["co_ppm"] > CO_MAX:
        problems.append(f"一氧化碳 {data['co_ppm']}ppm 超过 25ppm")
    return problems


def _check_gas(data: dict[str, Any], errors: dict[str, str]) -> None:
    for key, (label, unit, low, high) in GAS_RANGES.items():
        number = _reading(data.get(key))
        if number is None:
            errors[key] = f"请填写{label}检测值（数字，{unit}）"
        elif not low <= number <= high:
            errors[key] = f"{label}检测值应在 {low}～{high}{unit} 之间"
        else:
            data[key] = number.quantize(Decimal("0.1"))


def _check_when(data: dict[str, Any], errors: dict[str, str], today: dt.date) -> None:
    day = data.get("work_date")
    if not isinstance(day, dt.date):
        errors["work_date"] = "请填写作业日期"
    elif day < today - dt.timedelta(days=PAST_DAYS) or day > today + dt.timedelta(days=366):
        errors["work_date"] = "作业日期应在五年前至一年后之间"
    start, end = data.get("start_time"), data.get("end_time")
    if not isinstance(start, dt.time):
        errors["start_time"] = "请填写开始时间"
    if not isinstance(end, dt.time):
        errors["end_time"] = "请填写结束时间"
    elif isinstance(start, dt.time) and end <= start:
        errors["end_time"] = "结束时间须晚于开始时间"


def clean_permit(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Permit ``data`` normalised and checked: ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    for key, label in (("content", "作业内容"), ("approver_name", "审批人"), ("guardian_name", "监护人")):
        if not data.get(key) and key not in errors:
            errors[key] = f"请填写{label}"
    _check_when(data, errors, today)
    _check_gas(data, errors)
    data["approved"] = bool(data.get("approved"))
    gas_ok = not any(k in errors for k in GAS_RANGES)
    if data["approved"] and gas_ok:
        problems = gas_problems(data)
        if problems:
            errors["approved"] = "气体检测不合格，不能审批通过：" + "，".join(problems)
    return data, errors


@service("confined.permit")
def confined_permit_record(*, actor: User, space: ConfinedSpace, data: dict[str, Any]) -> ConfinedSpaceWorkPermit:
    """记录一次有限空间作业审批; the actor is the 记录人."""
    unknown = set(data) - set(PERMIT_FIELDS)
    if unknown:
        raise TypeError(f"confined_permit_record() got unexpected fields {sorted(unknown)}")
    space = ConfinedSpace.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=space.pk)
    require(can_manage_confined(actor, space.unit), "只有该单位、其行业主管部门或区安委办可以记录作业审批")
    data, errors = clean_permit(data, timezone.localdate())
    if space.status != ConfinedSpaceStatus.IN_USE:
        errors["space"] = "该有限空间已停用，不能记录作业审批"
    if errors:
        raise ValidationFailed("作业审批信息有误：" + "；".join(errors.values()), details=errors)
    permit = ConfinedSpaceWorkPermit.objects.create(space=space, recorded_by=actor, **data)
    audit_record(
        action="confined.permit",
        actor=actor,
        obj=space,
        after={"permit": permit.pk, **snapshot(permit, PERMIT_FIELDS)},
    )
    return permit


PERMIT_EDITABLE = list(PERMIT_FIELDS)
WITHDRAW_REASON_MAX = 300


def _lock_permit(permit: ConfinedSpaceWorkPermit) -> ConfinedSpaceWorkPermit:
    return (
        ConfinedSpaceWorkPermit.objects.select_for_update(of=("self",))
        .select_related("space__unit__owner")
        .get(pk=permit.pk)
    )


def _require_recorder(actor: User, permit: ConfinedSpaceWorkPermit, verb: str) -> None:
    require(
        permit.recorded_by_id is not None
        and permit.recorded_by_id == getattr(actor, "pk", None)
        and can_manage_confined(actor, permit.space.unit),
        f"只有记录该作业审批的人员可以{verb}",
    )


def _require_open(permit: ConfinedSpaceWorkPermit, verb: str) -> None:
    if permit.withdrawn_at is not None:
        raise ConflictError(f"该作业审批已撤回，不能{verb}")
    if permit.approved:
        raise ConflictError(f"该作业审批已审批通过，不能{verb}")


def _permit_snapshot(permit: ConfinedSpaceWorkPermit) -> dict[str, Any]:
    return {"permit": permit.pk, **snapshot(permit, PERMIT_FIELDS)}


@service("confined.permit_update")
def confined_permit_update(
    *, actor: User, permit: ConfinedSpaceWorkPermit, data: dict[str, Any], reason: str = ""
) -> ConfinedSpaceWorkPermit:
    """更正作业审批: the recorder corrects a permit not yet 审批通过 (and may approve it now,
    when the readings allow entry)."""
    permit = _lock_permit(permit)
    _require_recorder(actor, permit, "更正")
    _require_open(permit, "更正")
    unknown = set(data) - set(PERMIT_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )
    merged = {f: getattr(permit, f) for f in PERMIT_FIELDS}
    merged.update(data)
    merged, errors = clean_permit(merged, timezone.localdate())
    reason = (reason or "").strip()
    if len(reason) > WITHDRAW_REASON_MAX:
        errors["reason"] = f"更正原因不超过{WITHDRAW_REASON_MAX}字"
    if errors:
        raise ValidationFailed("作业审批信息有误：" + "；".join(errors.values()), details=errors)
    before = _permit_snapshot(permit)
    for key, value in merged.items():
        setattr(permit, key, value)
    permit.save()
    after = _permit_snapshot(permit)
    if after != before:
        audit_record(
            action="confined.permit_update", actor=actor, obj=permit.space, before=before, after=after, reason=reason
        )
    return permit


@service("confined.permit_withdraw")
def confined_permit_withdraw(*, actor: User, permit: ConfinedSpaceWorkPermit, reason: str) -> ConfinedSpaceWorkPermit:
    """撤回作业审批: the recorder takes back a permit not yet 审批通过, saying why. The
    permit is kept (marked 已撤回) and no longer counts."""
    permit = _lock_permit(permit)
    _require_recorder(actor, permit, "撤回")
    _require_open(permit, "撤回")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed("请填写撤回原因", details={"reason": "请填写撤回原因"})
    if len(reason) > WITHDRAW_REASON_MAX:
        raise ValidationFailed(
            f"撤回原因不超过{WITHDRAW_REASON_MAX}字", details={"reason": f"不超过{WITHDRAW_REASON_MAX}字"}
        )
    permit.withdrawn_at = timezone.now()
    permit.withdrawn_by = actor
    permit.withdraw_reason = reason
    permit.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit_record(
        action="confined.permit_withdraw",
        actor=actor,
        obj=permit.space,
        before={"permit": permit.pk, "withdrawn": False},
        after={"permit": permit.pk, "withdrawn": True},
        reason=reason,
    )
    return permit
