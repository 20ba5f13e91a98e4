"""Every change of the road-transport register: vehicles, drivers and violations of a
unit (registry Unit, the operator), and the audit row of the monthly reports' exports.

Rules (checked here, for pages, API and imports alike — the importers call the same
``clean_*`` functions):

* 车牌号码: a Chinese plate (GA 36): province character, letter of the issuing
  office, then five characters (letters without I/O, digits; the last may be 挂/学/警/
  港/澳), or a new-energy plate of six (小型 D/F + letter-or-digit + 4 digits, 大型 5
  digits + D/F). Spaces, "·" and "-" are dropped and letters upper-cased. A plate is
  held by one vehicle that is not 注销.
* 身份证号码: 18 characters with the GB 11643 check character (optional).
* 记分: 0–12 (12 points clear the licence in a scoring cycle).
* dates: 年检, 保险 and 驾驶证 dates within 2000-01-01 … ten years from today; a
  violation's date within the last five years and not in the future.
* a violation names a vehicle and/or a driver of one unit; an 企业用户 records only
  企业自查 violations (``access.can_record_source``).

ID and phone numbers are stored encrypted and written to the audit trail masked.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ValidationFailed
from zhiben.core.services import require, service
from zhiben.org.models import User
from zhiben.registry.crypto import mask_phone
from zhiben.registry.models import Unit

from .access import can_edit_violation, can_import_riders, can_manage_fleet, can_record_source
from .choices import DriverStatus, LicenceClass, VehicleStatus, VehicleType, ViolationKind, ViolationSource
from .models import MAX_POINTS, Driver, RiderViolation, Vehicle, Violation

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_ALNUM = "A-HJ-NP-Z0-9"  # no I, no O
PLATE_RE = re.compile(
    rf"^[{PROVINCES}][A-HJ-NP-Z]"
    rf"(?:[{_ALNUM}]{{4}}[{_ALNUM}挂学警港澳]"  # ordinary: 沪A12345, 沪A1234挂
    rf"|[DF][{_ALNUM}][0-9]{{4}}"  # new energy, small: 沪AD12345, 沪AF1A234
    rf"|[0-9]{{5}}[DF])$"  # new energy, large: 沪A12345D
)
PLATE_HINT = "车牌号码格式不正确（如 沪A12345、新能源 沪AD12345 或 沪A12345D）"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,18}[0-9]$")
EARLIEST = dt.date(2000, 1, 1)
FUTURE_YEARS = 10
VIOLATION_PAST_DAYS = 366 * 5

VEHICLE_FIELDS = ["unit", "plate", "vehicle_type", "status", "inspection_due", "insurance_due", "note"]
VEHICLE_EDITABLE = [f for f in VEHICLE_FIELDS if f != "unit"]
DRIVER_FIELDS = [
    "unit",
    "name",
    "id_number",
    "phone",
    "licence_class",
    "licence_expiry",
    "points",
    "status",
    "note",
]
DRIVER_EDITABLE = [f for f in DRIVER_FIELDS if f != "unit"]
DRIVER_AUDITED = [f for f in DRIVER_FIELDS if f not in ("id_number", "phone")]
VIOLATION_FIELDS = ["vehicle", "driver", "occurred_on", "kind", "points", "source", "note"]
TEXT_LIMITS = {"plate": ("车牌号码", 10), "name": ("姓名", 50), "note": ("备注", 300)}


# --- Checks (no query, no right) ------------------------------------------------------------


def normalize_plate(value: Any) -> str:
    text = value if isinstance(value, str) else ""
    return re.sub(r"[\s·•\-\u00b7]", "", text).upper()


def plate_problem(plate: str) -> str | None:
    if not plate:
        return "请填写车牌号码"
    return None if PLATE_RE.match(plate) else PLATE_HINT


def id_number_problem(value: str) -> str | None:
    """None when ``value`` is an 18-character ID number with a valid check character."""
    if len(value) != 18 or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return "身份证号码应为 18 位（最后一位可为 X）"
    total = sum(int(c) * w for c, w in zip(value[:17], ID_WEIGHTS, strict=True))
    if ID_CHECK[total % 11] != value[17]:
        return "身份证号码校验位不正确，请核对"
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "身份证号码中的出生日期无效"
    return None


def mask_id(value: str) -> str:
    """310101********1234 (first six and last four kept)."""
    value = (value or "").strip()
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


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


def _date(data: dict[str, Any], key: str, label: str, errors: dict[str, str], today: dt.date) -> None:
    value = data.get(key)
    if value in (None, ""):
        data[key] = None
        return
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        errors[key] = f"{label}须为日期"
        return
    latest = today.replace(year=today.year + FUTURE_YEARS, day=min(today.day, 28))
    if not EARLIEST <= value <= latest:
        errors[key] = f"{label}应在 2000-01-01 至 {latest:%Y-%m-%d} 之间"


def _choice(data, key: str, choices, message: str, errors: dict[str, str], default: str | None = None) -> None:
    if data.get(key) in (None, "") and default is not None:
        data[key] = default
    if data.get(key) not in choices.values:
        errors[key] = message


def _points(data: dict[str, Any], errors: dict[str, str]) -> None:
    value = data.get("points")
    if value in (None, ""):
        data["points"] = 0
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_POINTS:
        errors["points"] = f"记分应为 0～{MAX_POINTS} 的整数"


def clean_vehicle(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Vehicle ``data`` normalised and checked: ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    if "plate" in data:
        data["plate"] = normalize_plate(data["plate"])
    _texts(data, errors)
    if "plate" not in errors:
        problem = plate_problem(data.get("plate") or "")
        if problem:
            errors["plate"] = problem
    _choice(data, "vehicle_type", VehicleType, "车辆类型应为：" + "、".join(VehicleType.labels), errors)
    _choice(data, "status", VehicleStatus, "状态应为在用、停运或注销", errors, VehicleStatus.IN_USE)
    _date(data, "inspection_due", "下次年检日期", errors, today)
    _date(data, "insurance_due", "保险到期日", errors, today)
    if not isinstance(data.get("unit"), Unit):
        errors["unit"] = "请选择所属企业"
    return data, errors


def clean_driver(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Driver ``data`` normalised and checked: ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    if not data.get("name") and "name" not in errors:
        errors["name"] = "请填写驾驶员姓名"
    for key in ("id_number", "phone"):
        value = data.get(key)
        data[key] = value.strip().upper() if isinstance(value, str) else ""
    if data["id_number"]:
        problem = id_number_problem(data["id_number"])
        if problem:
            errors["id_number"] = problem
    if data["phone"] and not PHONE_RE.match(data["phone"]):
        errors["phone"] = "联系电话格式不正确（如 13812345678 或 021-65551234）"
    _choice(data, "licence_class", LicenceClass, "准驾车型应为：" + "、".join(LicenceClass.values), errors)
    _date(data, "licence_expiry", "驾驶证有效期", errors, today)
    _points(data, errors)
    _choice(data, "status", DriverStatus, "状态应为在岗、停驾或离职", errors, DriverStatus.ACTIVE)
    if not isinstance(data.get("unit"), Unit):
        errors["unit"] = "请选择所属企业"
    return data, errors


def clean_violation(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Violation ``data`` normalised and checked; sets ``data["unit"]`` from the vehicle or driver."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors)
    vehicle, driver = data.get("vehicle"), data.get("driver")
    if vehicle is not None and not isinstance(vehicle, Vehicle):
        errors["vehicle"] = "车辆不存在"
    if driver is not None and not isinstance(driver, Driver):
        errors["driver"] = "驾驶员不存在"
    if vehicle is None and driver is None:
        errors["vehicle"] = "请选择车辆或驾驶员（至少一项）"
    elif not errors:
        if vehicle is not None and driver is not None and vehicle.unit_id != driver.unit_id:
            errors["driver"] = "驾驶员与车辆须属于同一企业"
        data["unit"] = (vehicle or driver).unit
    day = data.get("occurred_on")
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        errors["occurred_on"] = "请填写违法日期"
    elif day > today or day < today - dt.timedelta(days=VIOLATION_PAST_DAYS):
        errors["occurred_on"] = "违法日期应在近五年内，且不晚于今天"
    _choice(data, "kind", ViolationKind, "违法行为应为：" + "、".join(ViolationKind.labels), errors)
    _choice(data, "source", ViolationSource, "来源应为公安交警、平台或企业自查", errors)
    _points(data, errors)
    return data, errors


def _fail(what: str, errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(f"{what}信息有误：" + "；".join(errors.values()), details=errors)


def _unknown(data: dict[str, Any], allowed: list[str], name: str) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"{name}() got unexpected fields {sorted(unknown)}")


def _locked_unit(unit: Any) -> Any:
    if isinstance(unit, Unit):
        return Unit.objects.select_for_update(of=("self",)).select_related("owner").get(pk=unit.pk)
    return unit


def _refused_fields(data: dict[str, Any], editable: list[str]) -> None:
    unknown = set(data) - set(editable)
    if unknown:
        raise ValidationFailed(
            "不能修改这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )


# --- Vehicles -------------------------------------------------------------------------------


def _plate_taken(plate: str, status: str, exclude: int | None = None) -> bool:
    if status == VehicleStatus.CANCELLED:
        return False
    qs = Vehicle.objects.filter(plate=plate).exclude(status=VehicleStatus.CANCELLED)
    return qs.exclude(pk=exclude).exists() if exclude else qs.exists()


PLATE_TAKEN = "该车牌号码已有未注销的车辆登记，请核对（原车辆注销后方可再登记）"


@service("transport.vehicle_create")
def vehicle_create(*, actor: User, data: dict[str, Any]) -> Vehicle:
    """登记车辆 of a unit (its 企业用户, its 主管部门's staff, the district office)."""
    _unknown(data, VEHICLE_FIELDS, "vehicle_create")
    data = {**data, "unit": _locked_unit(data.get("unit"))}
    if isinstance(data["unit"], Unit):
        require(can_manage_fleet(actor, data["unit"]), "只有该企业、其行业主管部门或区安委办可以登记车辆")
    data, errors = clean_vehicle(data, timezone.localdate())
    if "plate" not in errors and _plate_taken(data["plate"], data.get("status")):
        errors["plate"] = PLATE_TAKEN
    _fail("车辆", errors)
    vehicle = Vehicle.objects.create(created_by=actor, **data)
    audit_record(action="transport.vehicle_create", actor=actor, obj=vehicle, after=snapshot(vehicle, VEHICLE_FIELDS))
    return vehicle


@service("transport.vehicle_update")
def vehicle_update(*, actor: User, vehicle: Vehicle, data: dict[str, Any], reason: str = "") -> Vehicle:
    """修改车辆 (not its unit): status, dates, plate, type, note."""
    vehicle = Vehicle.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=vehicle.pk)
    require(can_manage_fleet(actor, vehicle.unit), "只有该企业、其行业主管部门或区安委办可以修改车辆")
    _refused_fields(data, VEHICLE_EDITABLE)
    merged = {f: getattr(vehicle, f) for f in VEHICLE_FIELDS}
    merged.update(data)
    merged, errors = clean_vehicle(merged, timezone.localdate())
    if "plate" not in errors and _plate_taken(merged["plate"], merged.get("status"), exclude=vehicle.pk):
        errors["plate"] = PLATE_TAKEN
    _fail("车辆", errors)
    before = snapshot(vehicle, VEHICLE_FIELDS)
    for key, value in merged.items():
        setattr(vehicle, key, value)
    vehicle.save()
    after = snapshot(vehicle, VEHICLE_FIELDS)
    if after != before:
        audit_record(
            action="transport.vehicle_update", actor=actor, obj=vehicle, before=before, after=after, reason=reason
        )
    return vehicle


# --- Drivers --------------------------------------------------------------------------------


def driver_snapshot(driver: Driver) -> dict[str, Any]:
    """The audited fields, with the ID and phone numbers masked."""
    return {
        **snapshot(driver, DRIVER_AUDITED),
        "id_number": mask_id(driver.id_number),
        "phone": mask_phone(driver.phone),
    }


@service("transport.driver_create")
def driver_create(*, actor: User, data: dict[str, Any]) -> Driver:
    """登记驾驶员 of a unit."""
    _unknown(data, DRIVER_FIELDS, "driver_create")
    data = {**data, "unit": _locked_unit(data.get("unit"))}
    if isinstance(data["unit"], Unit):
        require(can_manage_fleet(actor, data["unit"]), "只有该企业、其行业主管部门或区安委办可以登记驾驶员")
    data, errors = clean_driver(data, timezone.localdate())
    _fail("驾驶员", errors)
    driver = Driver.objects.create(created_by=actor, **data)
    audit_record(action="transport.driver_create", actor=actor, obj=driver, after=driver_snapshot(driver))
    return driver


@service("transport.driver_update")
def driver_update(*, actor: User, driver: Driver, data: dict[str, Any], reason: str = "") -> Driver:
    """修改驾驶员 (not the unit). An empty ID or phone in ``data`` clears it; a key
    left out keeps it."""
    driver = Driver.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=driver.pk)
    require(can_manage_fleet(actor, driver.unit), "只有该企业、其行业主管部门或区安委办可以修改驾驶员")
    _refused_fields(data, DRIVER_EDITABLE)
    merged = {f: getattr(driver, f) for f in DRIVER_FIELDS}
    merged.update(data)
    merged, errors = clean_driver(merged, timezone.localdate())
    _fail("驾驶员", errors)
    before = driver_snapshot(driver)
    secrets_before = (driver.id_number, driver.phone)
    for key, value in merged.items():
        setattr(driver, key, value)
    driver.save()
    after = driver_snapshot(driver)
    if after != before or secrets_before != (driver.id_number, driver.phone):
        audit_record(
            action="transport.driver_update", actor=actor, obj=driver, before=before, after=after, reason=reason
        )
    return driver


# --- Violations -----------------------------------------------------------------------------


def _violation_snapshot(violation: Violation) -> dict[str, Any]:
    return snapshot(violation, ["unit", *VIOLATION_FIELDS])


def _lock_subjects(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    if isinstance(data.get("vehicle"), Vehicle):
        data["vehicle"] = (
            Vehicle.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=data["vehicle"].pk)
        )
    if isinstance(data.get("driver"), Driver):
        data["driver"] = (
            Driver.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=data["driver"].pk)
        )
    return data


@service("transport.violation_create")
def violation_create(*, actor: User, data: dict[str, Any]) -> Violation:
    """记录违法 of a vehicle and/or driver. An 企业用户 records 企业自查 only."""
    _unknown(data, VIOLATION_FIELDS, "violation_create")
    data, errors = clean_violation(_lock_subjects(data), timezone.localdate())
    unit = data.get("unit")
    if isinstance(unit, Unit):
        require(can_manage_fleet(actor, unit), "只有该企业、其行业主管部门或区安委办可以记录违法")
        if "source" not in errors:
            require(
                can_record_source(actor, unit, data["source"]),
                "企业用户只能记录“企业自查”发现的违法；公安交警、平台通报的违法由主管部门录入",
            )
    _fail("违法记录", errors)
    violation = Violation.objects.create(created_by=actor, **data)
    audit_record(action="transport.violation_create", actor=actor, obj=violation, after=_violation_snapshot(violation))
    return violation


@service("transport.violation_update")
def violation_update(*, actor: User, violation: Violation, data: dict[str, Any], reason: str = "") -> Violation:
    """修改违法记录 (vehicle and driver stay within the same unit)."""
    violation = Violation.objects.select_for_update(of=("self",)).select_related("unit__owner").get(pk=violation.pk)
    require(can_edit_violation(actor, violation), "您不能修改这条违法记录（企业用户只能修改本企业自查记录）")
    _refused_fields(data, VIOLATION_FIELDS)
    merged = {f: getattr(violation, f) for f in VIOLATION_FIELDS}
    merged.update(data)
    merged, errors = clean_violation(_lock_subjects(merged), timezone.localdate())
    if "unit" in merged and merged["unit"].pk != violation.unit_id:
        errors["vehicle"] = "车辆和驾驶员须属于原企业"
    if "source" not in errors:
        require(can_record_source(actor, violation.unit, merged["source"]), "企业用户只能记录“企业自查”发现的违法")
    _fail("违法记录", errors)
    before = _violation_snapshot(violation)
    for key, value in merged.items():
        setattr(violation, key, value)
    violation.save()
    after = _violation_snapshot(violation)
    if after != before:
        audit_record(
            action="transport.violation_update", actor=actor, obj=violation, before=before, after=after, reason=reason
        )
    return violation


# --- Report exports ---------------------------------------------------------------------------


@service("transport.report_export")
def report_export(*, actor: User, report: str, month: dt.date, rows: int) -> None:
    """The audit row of a monthly report's download (高风险清单, 红黑榜): who took which month."""
    require(actor is not None and actor.is_active, "请先登录")
    audit_record(
        action="transport.report_export",
        actor=actor,
        object_type="transport.report",
        object_id=f"{report}:{month:%Y-%m}",
        object_repr=f"{report} {month:%Y年%m月}",
        after={"report": report, "month": f"{month:%Y-%m}", "rows": rows},
    )


# --- Riders' violations ----------------------------------------------------------------------------

RIDER_TEXTS = {
    "platform": ("平台", 50, True),
    "station": ("站点名称", 100, True),
    "rider_name": ("骑手姓名", 50, True),
    "offence": ("违法行为", 100, True),
    "outcome": ("处理结果", 200, False),
}


def clean_rider(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """One rider violation normalised and checked: ``(data, errors by field)``."""
    data = {k: data.get(k) for k in (*RIDER_TEXTS, "occurred_on")}
    errors: dict[str, str] = {}
    for key, (label, limit, required) in RIDER_TEXTS.items():
        value = data[key] if isinstance(data[key], str) else ""
        data[key] = value.strip()
        if required and not data[key]:
            errors[key] = f"请填写{label}"
        elif len(data[key]) > limit:
            errors[key] = f"{label}不超过{limit}字"
    day = data["occurred_on"]
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        errors["occurred_on"] = "请填写违法日期"
    elif day > today or day < today - dt.timedelta(days=VIOLATION_PAST_DAYS):
        errors["occurred_on"] = "违法日期应在近五年内，且不晚于今天"
    return data, errors


@service("transport.rider_add")
def rider_violations_add(*, actor: User, rows: list[dict[str, Any]]) -> list[RiderViolation]:
    """Record riders' violations given as data (a short list typed in or sent by the API;
    long lists come through the Excel import): all or none, one audit row."""
    require(can_import_riders(actor), "只有区安委办和行业部门可以录入骑手交通违法")
    if not rows or len(rows) > 500:
        raise ValidationFailed("请提供 1～500 条骑手违法记录", details={"rows": "条数应为 1～500"})
    today = timezone.localdate()
    clean, problems = [], {}
    for index, row in enumerate(rows, start=1):
        data, errors = clean_rider(row, today)
        if errors:
            problems[str(index)] = "；".join(errors.values())
        clean.append(data)
    if problems:
        raise ValidationFailed(
            "骑手违法记录有误：" + "；".join(f"第 {i} 条：{m}" for i, m in problems.items()), details=problems
        )
    created = RiderViolation.objects.bulk_create(RiderViolation(created_by=actor, **data) for data in clean)
    audit_record(
        action="transport.rider_add",
        actor=actor,
        object_type="transport.riderviolation",
        after={"created": len(created), "first_id": created[0].pk, "last_id": created[-1].pk},
    )
    return created
