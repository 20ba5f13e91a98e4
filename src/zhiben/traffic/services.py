"""Every state change of 道路交通: 事故多发点段 listings, their 整治 (through the
workflow table in workflow.py) and 一校一方案.

Each service checks the actor's right (access.py), locks the row it changes,
validates (``ValidationFailed`` with Chinese messages keyed by field), writes and
records ONE audit row in the same transaction. A refused transition (wrong state,
no right) raises before anything is written, so the record stays as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, PermissionDeniedError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.choices import OrgKind
from zhiben.org.models import Organization, User
from zhiben.registry.models import Site

from .access import can_handle_rectification, can_manage_listing, can_manage_school_plan
from .choices import ListingLevel, RectificationStatus, SchoolPlanStatus
from .models import (
    BLACK_SPOT_TYPE,
    FIRST_YEAR,
    MAX_ACCIDENTS,
    SCHOOL_TYPE,
    BlackSpotListing,
    BlackSpotRectification,
    SchoolSafetyPlan,
    current_school_year,
    school_year_label,
)
from .workflow import WORKFLOW

LISTING_FIELDS = ["site", "year", "level", "accident_count", "lead_org", "reason", "note"]
LISTING_EDITABLE = [f for f in LISTING_FIELDS if f != "site"]
RECTIFICATION_FIELDS = [
    "status",
    "measures",
    "started_on",
    "finished_on",
    "accepted_on",
    "accepted_by",
    "evidence",
]
RECTIFICATION_EDITABLE = ["measures", "evidence"]
TRANSITION_DATA = {
    "start": {"measures", "started_on", "evidence"},
    "complete": {"measures", "finished_on", "evidence"},
    "accept": {"accepted_on", "accepted_by", "evidence"},
    "reopen": set(),
}
TRANSITION_ACTIONS = {
    "start": "black_spot.start",
    "complete": "black_spot.complete",
    "accept": "black_spot.accept",
    "reopen": "black_spot.reopen",
}
PLAN_FIELDS = [
    "site",
    "school_year",
    "guard_posts",
    "traffic_facilities",
    "pickup_order",
    "police_name",
    "police_phone",
    "reviewed_on",
    "status",
    "note",
]
PLAN_EDITABLE = [f for f in PLAN_FIELDS if f not in ("site", "school_year")]
TEXT_LIMITS = {
    "reason": ("挂牌原因", 300),
    "note": ("备注", 300),
    "measures": ("整治措施", 2000),
    "accepted_by": ("验收单位（人）", 100),
    "evidence": ("佐证说明", 1000),
    "guard_posts": ("护学岗", 1000),
    "traffic_facilities": ("交通设施", 1000),
    "pickup_order": ("接送秩序", 1000),
    "police_name": ("责任民警/交警", 50),
    "police_phone": ("联系电话", 20),
}
LEAD_KINDS = {OrgKind.DISTRICT, OrgKind.OFFICE, OrgKind.DEPARTMENT, OrgKind.SECTION, OrgKind.STREET}
PHONE = re.compile(r"^[0-9][0-9\-]{5,19}$")
EARLIEST = dt.date(FIRST_YEAR, 1, 1)
REASON_MAX = 300


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


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _day(data: dict, key: str, label: str, errors: dict, *, low: dt.date, today: dt.date, required: bool) -> None:
    value = data.get(key)
    if value in (None, ""):
        data[key] = None
        if required:
            errors[key] = f"请填写{label}"
        return
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        errors[key] = f"{label}须为日期"
    elif value > today:
        errors[key] = f"{label}不能晚于今天"
    elif value < low:
        errors[key] = f"{label}不能早于{low:%Y-%m-%d}"


def _refuse(errors: dict[str, str], what: str) -> None:
    if errors:
        raise ValidationFailed(f"{what}有误：" + "；".join(errors.values()), details=errors)


# --- 事故多发点段挂牌 ---------------------------------------------------------------------------


def clean_listing(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Listing ``data`` normalised and checked (no right, no query): ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    site = data.get("site")
    if not isinstance(site, Site):
        errors["site"] = "请选择点段（道路点段类场所）"
    elif site.site_type.code != BLACK_SPOT_TYPE:
        errors["site"] = "点段须为“道路点段”类场所"
    elif not site.is_active:
        errors["site"] = "该点段已不在册"
    year = _int(data.get("year"))
    if year is None or not FIRST_YEAR <= year <= today.year:
        errors["year"] = f"挂牌年度应为 {FIRST_YEAR}～{today.year} 之间的年份"
    data["year"] = year
    if data.get("level") not in ListingLevel.values:
        errors["level"] = "挂牌级别应为市级或区级"
    count = _int(data.get("accident_count", 0))
    if count is None or not 0 <= count <= MAX_ACCIDENTS:
        errors["accident_count"] = f"认定事故起数应为 0～{MAX_ACCIDENTS} 的整数"
    data["accident_count"] = count
    lead = data.get("lead_org")
    if not isinstance(lead, Organization):
        errors["lead_org"] = "请选择牵头单位"
    elif lead.kind not in LEAD_KINDS:
        errors["lead_org"] = "牵头单位须为区、委办局、科室、议事协调机构办公室或街道"
    return data, errors


def _listing_snapshot(listing: BlackSpotListing) -> dict[str, Any]:
    return snapshot(listing, LISTING_FIELDS)


def _check_unique(listing_id: int | None, site: Site, year: int) -> None:
    taken = BlackSpotListing.objects.filter(site=site, year=year).exclude(pk=listing_id).exists()
    if taken:
        raise ValidationFailed(f"该点段已有{year}年的挂牌记录", details={"year": f"该点段已有{year}年的挂牌记录"})


@service("black_spot.create")
def listing_create(*, actor: User, data: dict[str, Any]) -> BlackSpotListing:
    """挂牌登记 a 事故多发点段 (its 整治记录 is created with it, 未启动)."""
    unknown = set(data) - set(LISTING_FIELDS)
    if unknown:
        raise TypeError(f"listing_create() got unexpected fields {sorted(unknown)}")
    site = data.get("site")
    if isinstance(site, Site):
        site = Site.objects.select_for_update(of=("self",)).select_related("site_type", "owner").get(pk=site.pk)
        data = {**data, "site": site}
    data, errors = clean_listing(data, timezone.localdate())
    _refuse(errors, "挂牌信息")
    require(can_manage_listing(actor, site, data["lead_org"]), "只有区安委办、点段负责部门或牵头单位可以挂牌登记")
    _check_unique(None, site, data["year"])
    listing = BlackSpotListing.objects.create(created_by=actor, **data)
    BlackSpotRectification.objects.create(listing=listing, updated_by=actor)
    audit_record(action="black_spot.create", actor=actor, obj=listing, after=_listing_snapshot(listing))
    return listing


@service("black_spot.update")
def listing_update(
    *, actor: User, listing: BlackSpotListing, data: dict[str, Any], reason: str = ""
) -> BlackSpotListing:
    """修改挂牌信息 (not its site)."""
    listing = (
        BlackSpotListing.objects.select_for_update(of=("self",))
        .select_related("site__site_type", "site__owner", "lead_org")
        .get(pk=listing.pk)
    )
    require(
        can_manage_listing(actor, listing.site, listing.lead_org),
        "只有区安委办、点段负责部门或牵头单位可以修改挂牌信息",
    )
    unknown = set(data) - set(LISTING_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )
    merged = {f: getattr(listing, f) for f in LISTING_FIELDS}
    merged.update(data)
    merged, errors = clean_listing(merged, timezone.localdate())
    if len((reason or "").strip()) > REASON_MAX:
        errors["reason_text"] = f"修改原因不超过{REASON_MAX}字"
    _refuse(errors, "挂牌信息")
    if merged["lead_org"] != listing.lead_org:
        require(can_manage_listing(actor, listing.site, merged["lead_org"]), "您不能把牵头单位改为该单位")
    _check_unique(listing.pk, listing.site, merged["year"])
    before = _listing_snapshot(listing)
    for key, value in merged.items():
        setattr(listing, key, value)
    listing.save()
    after = _listing_snapshot(listing)
    if after != before:
        audit_record(
            action="black_spot.update", actor=actor, obj=listing, before=before, after=after, reason=reason.strip()
        )
    return listing


# --- 整治 ------------------------------------------------------------------------------------


def _rect_snapshot(rect: BlackSpotRectification) -> dict[str, Any]:
    return snapshot(rect, RECTIFICATION_FIELDS)


def _lock_rectification(rect: BlackSpotRectification | int) -> BlackSpotRectification:
    pk = rect if isinstance(rect, int) else rect.pk
    return (
        BlackSpotRectification.objects.select_for_update(of=("self",))
        .select_related("listing__site", "listing__site__owner", "listing__lead_org")
        .get(pk=pk)
    )


def _check_version(rect: BlackSpotRectification, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != rect.version:
        raise ConflictError("该整治记录已被他人修改，请刷新后重试", code="stale_version")


def _transition_data(
    name: str, rect: BlackSpotRectification, data: dict[str, Any], today: dt.date
) -> tuple[dict[str, Any], dict[str, str]]:
    data = {k: v for k, v in data.items() if k in TRANSITION_DATA[name]}
    errors: dict[str, str] = {}
    _texts(data, errors)
    if name == "start":
        if not (data.get("measures") or rect.measures):
            errors.setdefault("measures", "请填写整治措施")
        _day(data, "started_on", "开始日期", errors, low=EARLIEST, today=today, required=True)
    elif name == "complete":
        low = rect.started_on or EARLIEST
        _day(data, "finished_on", "完成日期", errors, low=low, today=today, required=True)
        if not (data.get("measures") or rect.measures):
            errors.setdefault("measures", "请填写整治措施")
    elif name == "accept":
        if not data.get("accepted_by"):
            errors.setdefault("accepted_by", "请填写验收单位（人）")
        low = rect.finished_on or EARLIEST
        _day(data, "accepted_on", "验收日期", errors, low=low, today=today, required=True)
    for key in ("measures", "evidence"):
        if key in data and not data[key]:
            data.pop(key)  # an empty box keeps what was written before
    return data, errors


@service("black_spot.transition")
def rectification_transition(
    *,
    actor: User,
    rectification: BlackSpotRectification | int,
    name: str,
    data: dict[str, Any] | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> BlackSpotRectification:
    """Make the transition ``name`` (a row of workflow.py) on a 整治记录, with the data it
    needs (start: measures, started_on; complete: finished_on; accept: accepted_by,
    accepted_on; reopen: a reason)."""
    rect = _lock_rectification(rectification)
    if name not in WORKFLOW:
        raise ValidationFailed("没有这个操作", details={"transition": "没有这个操作"})
    allowed, code, message = WORKFLOW.check(name, actor, rect)
    if not allowed:
        if code == "permission_denied":
            raise PermissionDeniedError(message)
        raise ConflictError(message, code=code)
    _check_version(rect, expected_version)
    t = WORKFLOW[name]
    fields, errors = _transition_data(name, rect, dict(data or {}), timezone.localdate())
    reason = (reason or "").strip()
    if t.needs_reason and not reason:
        errors["reason"] = "请填写退回原因"
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"原因不超过{REASON_MAX}字"
    _refuse(errors, "整治信息")
    before = _rect_snapshot(rect)
    for key, value in fields.items():
        setattr(rect, key, value)
    if name == "reopen":
        rect.finished_on = None
    rect.status = t.target
    rect.version += 1
    rect.updated_by = actor
    rect.save()
    audit_record(
        action=TRANSITION_ACTIONS[name],
        actor=actor,
        obj=rect.listing,
        before=before,
        after={**_rect_snapshot(rect), "transition": name},
        reason=reason,
    )
    return rect


@service("black_spot.rectification_update")
def rectification_update(
    *,
    actor: User,
    rectification: BlackSpotRectification | int,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> BlackSpotRectification:
    """修改整治措施、佐证说明 (the state and its dates change only by transitions)."""
    rect = _lock_rectification(rectification)
    require(
        can_handle_rectification(actor, rect.listing), "只有区安委办、点段负责部门、牵头单位或属地街道可以修改整治记录"
    )
    unknown = set(data) - set(RECTIFICATION_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)),
            details={k: "不可修改（请通过整治操作变更）" for k in unknown},
        )
    _check_version(rect, expected_version)
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    if "measures" in data and not data["measures"] and rect.status != RectificationStatus.NOT_STARTED:
        errors["measures"] = "整治已启动，整治措施不能清空"
    _refuse(errors, "整治信息")
    before = _rect_snapshot(rect)
    for key, value in data.items():
        setattr(rect, key, value)
    after = _rect_snapshot(rect)
    if after != before:
        rect.version += 1
        rect.updated_by = actor
        rect.save()
        audit_record(
            action="black_spot.rectification_update", actor=actor, obj=rect.listing, before=before, after=after
        )
    return rect


# --- 一校一方案 ---------------------------------------------------------------------------------


def clean_plan(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Plan ``data`` normalised and checked (no right, no query): ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    site = data.get("site")
    if not isinstance(site, Site):
        errors["site"] = "请选择学校（学校周边类场所）"
    elif site.site_type.code != SCHOOL_TYPE:
        errors["site"] = "学校须为“学校周边”类场所"
    elif not site.is_active:
        errors["site"] = "该学校已不在册"
    year = _int(data.get("school_year"))
    newest = current_school_year(today) + 1
    if year is None or not FIRST_YEAR <= year <= newest:
        errors["school_year"] = f"学年应为 {FIRST_YEAR}～{newest} 之间的起始年份（如 2024 表示 2024-2025学年）"
    data["school_year"] = year
    if data.get("status", SchoolPlanStatus.DRAFTING) not in SchoolPlanStatus.values:
        errors["status"] = "状态应为编制中或已落实"
    data.setdefault("status", SchoolPlanStatus.DRAFTING)
    phone = data.get("police_phone") or ""
    if phone and "police_phone" not in errors and not PHONE.match(phone):
        errors["police_phone"] = "联系电话应为 6～20 位数字（可含“-”）"
    _day(data, "reviewed_on", "审核日期", errors, low=EARLIEST, today=today, required=False)
    if data["status"] == SchoolPlanStatus.IMPLEMENTED:
        needed = {
            "guard_posts": "护学岗",
            "traffic_facilities": "交通设施",
            "pickup_order": "接送秩序",
            "police_name": "责任民警/交警",
            "reviewed_on": "审核日期",
        }
        for key, label in needed.items():
            if not data.get(key) and key not in errors:
                errors[key] = f"方案已落实须填写{label}"
    return data, errors


def _plan_snapshot(plan: SchoolSafetyPlan) -> dict[str, Any]:
    return snapshot(plan, PLAN_FIELDS)


@service("school_plan.create")
def school_plan_create(*, actor: User, data: dict[str, Any]) -> SchoolSafetyPlan:
    """编制一校一方案 for one school and 学年."""
    unknown = set(data) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"school_plan_create() got unexpected fields {sorted(unknown)}")
    site = data.get("site")
    if isinstance(site, Site):
        site = (
            Site.objects.select_for_update(of=("self",)).select_related("site_type", "owner", "street").get(pk=site.pk)
        )
        require(can_manage_school_plan(actor, site), "只有区安委办、学校周边的负责部门或属地街道可以编制一校一方案")
        data = {**data, "site": site}
    data, errors = clean_plan(data, timezone.localdate())
    _refuse(errors, "一校一方案")
    if SchoolSafetyPlan.objects.filter(site=site, school_year=data["school_year"]).exists():
        label = school_year_label(data["school_year"])
        raise ValidationFailed(f"该学校已有{label}的方案", details={"school_year": f"该学校已有{label}的方案"})
    plan = SchoolSafetyPlan.objects.create(created_by=actor, **data)
    audit_record(action="school_plan.create", actor=actor, obj=plan, after=_plan_snapshot(plan))
    return plan


@service("school_plan.update")
def school_plan_update(
    *,
    actor: User,
    plan: SchoolSafetyPlan,
    data: dict[str, Any],
    reason: str = "",
    expected_version: int | None = None,
) -> SchoolSafetyPlan:
    """修改一校一方案 (not its school or 学年); 编制中 ⇄ 已落实 is a field of the form."""
    plan = (
        SchoolSafetyPlan.objects.select_for_update(of=("self",))
        .select_related("site__site_type", "site__owner", "site__street")
        .get(pk=plan.pk)
    )
    require(can_manage_school_plan(actor, plan.site), "只有区安委办、学校周边的负责部门或属地街道可以修改一校一方案")
    unknown = set(data) - set(PLAN_EDITABLE)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )
    if expected_version is not None and expected_version != plan.version:
        raise ConflictError("该方案已被他人修改，请刷新后重试", code="stale_version")
    merged = {f: getattr(plan, f) for f in PLAN_FIELDS}
    merged.update(data)
    merged, errors = clean_plan(merged, timezone.localdate())
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        errors["reason_text"] = f"修改原因不超过{REASON_MAX}字"
    _refuse(errors, "一校一方案")
    before = _plan_snapshot(plan)
    for key, value in merged.items():
        setattr(plan, key, value)
    after = _plan_snapshot(plan)
    if after != before:
        plan.version += 1
        plan.save()
        audit_record(action="school_plan.update", actor=actor, obj=plan, before=before, after=after, reason=reason)
    return plan
