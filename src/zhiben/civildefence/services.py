"""Every state change of civildefence: file a work's use (使用备案), edit the
filing, change its use state (转为闲置, 恢复使用, 报废 — the table is in
workflow.py). Each is one ``@service`` function: the actor's right, the row
locked, the data checked (Chinese messages by field), one audit row in the same
transaction. A refused change leaves everything as it was.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.core.validators import text_problem
from zhiben.org.models import User
from zhiben.registry.models import Site, Unit

from .access import can_manage_filing, can_manage_site
from .choices import FilingState, Purpose
from .models import AREA_MAX, SITE_TYPE, FilingStateChange, UseFiling
from .workflow import WORKFLOW

FILING_FIELDS = [
    "site",
    "filing_no",
    "state",
    "user_unit",
    "user_name",
    "purpose",
    "area_m2",
    "filed_on",
    "valid_until",
    "manager_name",
    "note",
]
CREATE_FIELDS = FILING_FIELDS
EDITABLE = [f for f in FILING_FIELDS if f not in ("site", "state")]
TEXT_LIMITS = {
    "filing_no": ("备案编号", 40),
    "user_name": ("使用单位名称", 100),
    "manager_name": ("维护管理责任人", 50),
    "note": ("备注", 300),
}
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
REASON_MAX = 300
STALE = "该备案已被他人修改，请刷新页面后重试"
FINAL = "该工程已报废，报废为最终状态，不能再修改或变更使用状态"


def _texts(data: dict[str, Any], errors: dict[str, str]) -> None:
    for key, (label, limit) in TEXT_LIMITS.items():
        value = data.get(key)
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = f"{label}须为文字"
            continue
        value = value.strip()
        data[key] = value
        problem = text_problem(value)
        if problem:
            errors[key] = f"{label}：{problem}"
        elif len(value) > limit:
            errors[key] = f"{label}不超过{limit}字"


def _area(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _dates(data: dict[str, Any], errors: dict[str, str], today: dt.date) -> None:
    filed, until = data.get("filed_on"), data.get("valid_until")
    if not isinstance(filed, dt.date):
        errors["filed_on"] = "请填写备案日期"
    elif not EARLIEST <= filed <= today:
        errors["filed_on"] = "备案日期应在 2000-01-01 至今天之间"
    if not isinstance(until, dt.date):
        errors["valid_until"] = "请填写备案有效期至"
    elif not EARLIEST <= until <= LATEST:
        errors["valid_until"] = "备案有效期至应在 2000-01-01 至 2100-12-31 之间"
    elif isinstance(filed, dt.date) and until < filed:
        errors["valid_until"] = "备案有效期至不能早于备案日期"


def clean_filing(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Filing ``data`` normalised and checked, without queries or rights: ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    if not data.get("filing_no") and "filing_no" not in errors:
        errors["filing_no"] = "请填写备案编号"
    if not data.get("manager_name") and "manager_name" not in errors:
        errors["manager_name"] = "请填写维护管理责任人"
    site = data.get("site")
    if not isinstance(site, Site):
        errors["site"] = "请选择人防工程"
    elif site.site_type.code != SITE_TYPE or not site.is_active:
        errors["site"] = "只能为在册的人防工程（场所类型“人防工程”）备案"
    unit = data.get("user_unit")
    if unit is not None and not isinstance(unit, Unit):
        errors["user_unit"] = "使用单位无效"
    elif unit is not None:
        data["user_name"] = ""  # the registered unit's name is shown
    if data.get("state") not in FilingState.values:
        errors["state"] = "使用状态应为：在用、闲置或报废"
    elif data["state"] == FilingState.IN_USE and unit is None and not data.get("user_name"):
        errors.setdefault("user_name", "在用工程须填写使用单位（选择已登记单位或填写名称）")
    if data.get("purpose") not in Purpose.values:
        errors["purpose"] = "用途应为：" + "、".join(Purpose.labels)
    area = _area(data.get("area_m2"))
    if area is None:
        errors["area_m2"] = "请填写使用面积（数字，平方米）"
    elif not Decimal(0) < area <= AREA_MAX:
        errors["area_m2"] = f"使用面积应大于 0、不超过 {AREA_MAX} 平方米"
    elif area != area.quantize(Decimal("0.01")):
        errors["area_m2"] = "使用面积最多保留两位小数"
    else:
        data["area_m2"] = area.quantize(Decimal("0.01"))
    _dates(data, errors, today)
    return data, errors


def _snapshot(filing: UseFiling) -> dict[str, Any]:
    return snapshot(filing, [*FILING_FIELDS, "version"])


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed("使用备案信息有误：" + "；".join(errors.values()), details=errors)


def _uniques(data: dict[str, Any], errors: dict[str, str], exclude: int | None = None) -> None:
    """备案编号 unique; one filing not 报废 per work."""
    same_no = UseFiling.objects.filter(filing_no=data.get("filing_no"))
    open_ = UseFiling.objects.filter(site=data.get("site")).exclude(state=FilingState.RETIRED)
    if exclude is not None:
        same_no, open_ = same_no.exclude(pk=exclude), open_.exclude(pk=exclude)
    if "filing_no" not in errors and same_no.exists():
        errors["filing_no"] = f"备案编号“{data['filing_no']}”已被使用"
    if "site" not in errors and isinstance(data.get("site"), Site):
        other = open_.values_list("filing_no", flat=True).first()
        if other is not None:
            errors["site"] = f"该工程已有未报废的使用备案（编号 {other}），请修改该备案或先将其报废"


def _unit_visible(actor: User, data: dict[str, Any], errors: dict[str, str]) -> None:
    unit = data.get("user_unit")
    if isinstance(unit, Unit) and not Unit.objects.restrict(actor, "view").filter(pk=unit.pk).exists():
        errors["user_unit"] = "使用单位不存在或您无权访问"


@service("civildefence.create")
def filing_create(*, actor: User, data: dict[str, Any]) -> UseFiling:
    """登记使用备案 of a civil-defence work (state 在用 or 闲置); its first history entry
    is dated the 备案日期."""
    unknown = set(data) - set(CREATE_FIELDS)
    if unknown:
        raise TypeError(f"filing_create() got unexpected fields {sorted(unknown)}")
    data = {"state": FilingState.IN_USE, **data}
    site = data.get("site")
    if isinstance(site, Site):
        # Lock the work: two filings of one work are serialized here.
        site = Site.objects.select_for_update(of=("self",)).select_related("site_type", "owner").get(pk=site.pk)
        require(can_manage_site(actor, site), "只有工程负责部门或区安委办可以登记使用备案")
        data["site"] = site
    data, errors = clean_filing(data, timezone.localdate())
    if data.get("state") == FilingState.RETIRED:
        errors["state"] = "登记备案时使用状态应为在用或闲置"
    _unit_visible(actor, data, errors)
    _uniques(data, errors)
    _refuse(errors)
    try:
        with transaction.atomic():
            filing = UseFiling.objects.create(created_by=actor, **data)
    except IntegrityError as exc:  # a concurrent filing took the number
        raise ConflictError("备案编号或工程已被他人同时备案，请刷新后重试", code="duplicate") from exc
    FilingStateChange.objects.create(
        filing=filing, from_state="", to_state=filing.state, changed_on=filing.filed_on, actor=actor, reason="登记备案"
    )
    audit_record(action="civildefence.create", actor=actor, obj=filing, after=_snapshot(filing))
    return filing


def _lock(filing: UseFiling) -> UseFiling:
    return (
        UseFiling.objects.select_for_update(of=("self",))
        .select_related("site__owner", "site__site_type", "user_unit")
        .get(pk=filing.pk)
    )


def _check_version(filing: UseFiling, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != filing.version:
        raise ConflictError(STALE, code="stale_version")


@service("civildefence.update")
def filing_update(
    *, actor: User, filing: UseFiling, data: dict[str, Any], reason: str = "", expected_version: int | None = None
) -> UseFiling:
    """修改使用备案 (not its work nor its state: states change through :func:`filing_transition`)."""
    filing = _lock(filing)
    require(can_manage_filing(actor, filing), "只有工程负责部门或区安委办可以修改使用备案")
    if filing.is_final:
        raise ConflictError(FINAL, code="invalid_transition")
    _check_version(filing, expected_version)
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )
    merged = {f: getattr(filing, f) for f in FILING_FIELDS}
    merged.update(data)
    merged, errors = clean_filing(merged, timezone.localdate())
    if "user_unit" in data and data["user_unit"] != filing.user_unit:
        _unit_visible(actor, merged, errors)
    _uniques(merged, errors, exclude=filing.pk)
    if len(reason or "") > REASON_MAX:
        errors["reason"] = f"修改原因不超过{REASON_MAX}字"
    _refuse(errors)
    before = _snapshot(filing)
    for key in EDITABLE:
        setattr(filing, key, merged[key])
    if _snapshot(filing) == before:
        return filing  # nothing changed: no new version, no audit row
    filing.version += 1
    try:
        with transaction.atomic():
            filing.save()
    except IntegrityError as exc:
        raise ConflictError("备案编号已被他人同时使用，请刷新后重试", code="duplicate") from exc
    audit_record(
        action="civildefence.update", actor=actor, obj=filing, before=before, after=_snapshot(filing), reason=reason
    )
    return filing


@service("civildefence.transition")
def filing_transition(
    *, actor: User, filing: UseFiling, name: str, reason: str = "", expected_version: int | None = None
) -> UseFiling:
    """Change the use state (``name``: set_idle, resume, retire; see workflow.py). A refused
    change (报废 is final, a state the change does not start from, no right) leaves the
    filing as it was and says why in Chinese."""
    filing = _lock(filing)
    if name not in WORKFLOW:
        raise ValidationFailed(
            "未知的状态变更", details={"name": "应为：" + "、".join(t.name for t in WORKFLOW.transitions)}
        )
    t = WORKFLOW[name]
    if filing.is_final:
        raise ConflictError(FINAL, code="invalid_transition")
    ok, code, message = WORKFLOW.check(t, actor, filing)
    if not ok:
        if code == "permission_denied":
            raise PermissionDeniedError(message)
        raise ConflictError(message, code=code)
    _check_version(filing, expected_version)
    reason = (reason or "").strip()
    problem = text_problem(reason)
    if problem:
        raise ValidationFailed(f"原因：{problem}", details={"reason": problem})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(f"原因不超过{REASON_MAX}字", details={"reason": f"不超过{REASON_MAX}字"})
    if t.needs_reason and not reason:
        raise ValidationFailed(f"{t.label}须填写原因", details={"reason": f"请填写{t.label}原因"})
    before = filing.state
    filing.state = t.target
    filing.version += 1
    filing.save(update_fields=["state", "version", "updated_at"])
    FilingStateChange.objects.create(
        filing=filing,
        from_state=before,
        to_state=filing.state,
        changed_on=timezone.localdate(),
        reason=reason,
        actor=actor,
    )
    audit_record(
        action="civildefence.transition",
        actor=actor,
        obj=filing,
        before={"state": before},
        after={"state": filing.state, "transition": t.name, "version": filing.version},
        reason=reason,
    )
    return filing
