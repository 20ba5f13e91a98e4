"""State changes of the construction registers (建设工程): one ``@service`` per change,
each checking the actor's right, locking what it changes, validating (Chinese messages
keyed by field), writing one audit row in the same transaction, and notifying on commit.

Rules (refused with a Chinese message; nothing changes):

* 危大工程 (住建部令第37号): a work cannot be 施工中 or 已完成 before its 专项施工方案 is
  approved (date and approver); an 超过一定规模 work, besides, not before a 专家论证 with
  the conclusion 通过 or 修改后通过 (``ConflictError`` ``work_not_ready``).
* 起重机械 (建设部令第166号): a crane cannot be 检验合格在用 without a 检验 whose result is
  合格 and whose validity (if given) has not passed, and a 使用登记 date; it cannot be
  已拆除 without a 拆卸 date (``ConflictError`` ``crane_not_ready``).
* 深基坑监测: a reading whose 累计值 (absolute) reaches the point's 累计值报警值, or whose
  daily rate since the reading before reaches its 变化速率报警值, is recorded with
  ``alarm`` and its reason; on commit, the project's 监测预警接收人, the 企业用户 of the
  site's unit and the staff of the site's 主管部门 (its owner) are notified.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from zhiben.audit.services import audit_record, snapshot
from zhiben.core.errors import ConflictError, ValidationFailed
from zhiben.core.services import require, service
from zhiben.hazards.choices import HazardLevel
from zhiben.hazards.models import Hazard
from zhiben.notify.services import enterprise_users_by_unit, notify, recipients_in
from zhiben.org.models import User
from zhiben.registry.access import visible_sites
from zhiben.registry.models import Site

from .access import can_manage_project
from .choices import (
    MAJOR_HAZARD_CLAUSES,
    PASSED_CONCLUSIONS,
    CraneStatus,
    CraneType,
    ExpertConclusion,
    InspectionResult,
    MonitoringItem,
    WorkStatus,
    WorkType,
)
from .models import SITE_TYPE, Crane, DangerousWork, MajorHazardBasis, PitMonitoringPoint, PitReading, ProjectInfo

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_MEASURE = Decimal("10000000")  # |value| of a reading or threshold (mm, kN …)
MAX_RESPONSIBLE = 20
DENIED = "只有该工地的施工单位、行业主管部门、属地街道或区安委办可以登记"

INFO_FIELDS = ["builder", "contractor", "supervisor", "project_manager"]
WORK_FIELDS = [
    "site",
    "name",
    "work_type",
    "over_scale",
    "scheme_approved_on",
    "scheme_approved_by",
    "expert_review_on",
    "expert_conclusion",
    "monitoring_required",
    "status",
    "note",
]
WORK_EDITABLE = [f for f in WORK_FIELDS if f != "site"]
CRANE_FIELDS = [
    "site",
    "crane_type",
    "record_no",
    "model_no",
    "owner_unit",
    "installer",
    "install_notified_on",
    "inspected_on",
    "inspection_result",
    "inspection_valid_until",
    "use_registered_on",
    "use_registration_no",
    "dismantle_notified_on",
    "dismantled_on",
    "status",
    "note",
]
CRANE_EDITABLE = [f for f in CRANE_FIELDS if f != "site"]
POINT_FIELDS = ["work", "code", "item", "location", "unit", "alarm_cumulative", "alarm_rate", "is_active", "note"]
POINT_EDITABLE = [f for f in POINT_FIELDS if f != "work"]
READING_FIELDS = ["measured_on", "value", "note"]

TEXT_LIMITS = {
    "builder": ("建设单位", 200),
    "contractor": ("施工单位", 200),
    "supervisor": ("监理单位", 200),
    "project_manager": ("项目负责人", 50),
    "name": ("名称/部位", 100),
    "scheme_approved_by": ("方案审批人", 50),
    "record_no": ("备案编号", 40),
    "model_no": ("规格型号", 60),
    "owner_unit": ("产权单位", 200),
    "installer": ("安装单位", 200),
    "use_registration_no": ("使用登记编号", 40),
    "code": ("测点编号", 30),
    "location": ("位置", 100),
    "unit": ("单位", 10),
    "note": ("备注", 300),
    "item_text": ("具体情形", 300),
    "measures": ("整改措施", 500),
}
# Dates that record what happened (not after today) and dates that may lie ahead.
PAST_DATES = {
    "scheme_approved_on": "专项方案审批日期",
    "expert_review_on": "专家论证日期",
    "install_notified_on": "安装告知日期",
    "inspected_on": "检验日期",
    "use_registered_on": "使用登记日期",
    "dismantle_notified_on": "拆卸告知日期",
    "dismantled_on": "拆卸日期",
    "measured_on": "测量日期",
}
FUTURE_DATES = {"inspection_valid_until": "检验有效期至"}


# --- Checks shared by the registers --------------------------------------------------------


def _texts(data: dict[str, Any], errors: dict[str, str], keys=None) -> None:
    for key in keys or TEXT_LIMITS:
        if key not in data or key not in TEXT_LIMITS:
            continue
        label, limit = TEXT_LIMITS[key]
        value = data[key]
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[key] = f"{label}须为文字"
            continue
        data[key] = value.strip()
        if len(data[key]) > limit:
            errors[key] = f"{label}不超过{limit}字"


def _dates(data: dict[str, Any], errors: dict[str, str], today: dt.date) -> None:
    for key, label in {**PAST_DATES, **FUTURE_DATES}.items():
        if key not in data:
            continue
        value = data[key]
        if value in (None, ""):
            data[key] = None
            continue
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            errors[key] = f"{label}须为日期"
            continue
        latest = today if key in PAST_DATES else LATEST
        if not EARLIEST <= value <= latest:
            errors[key] = f"{label}应在 {EARLIEST} 至 {latest} 之间"


def _decimal(value: Any, label: str, key: str, errors: dict[str, str], *, positive: bool) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[key] = f"{label}须为数字"
        return None
    if not number.is_finite() or abs(number) > MAX_MEASURE:
        errors[key] = f"{label}应在 ±{MAX_MEASURE} 之内"
        return None
    if positive and number <= 0:
        errors[key] = f"{label}须大于 0"
        return None
    return number.quantize(Decimal("0.01"))


def _check_site(data: dict[str, Any], errors: dict[str, str]) -> None:
    site = data.get("site")
    if not isinstance(site, Site):
        errors["site"] = "请选择工程（建筑工地）"
    elif site.site_type.code != SITE_TYPE:
        errors["site"] = "所选场所不是建筑工地"


def _lock_site(site: Any, actor: User) -> Site | None:
    if not isinstance(site, Site):
        return None
    site = Site.objects.select_for_update(of=("self",)).select_related("site_type", "owner", "street").get(pk=site.pk)
    require(can_manage_project(actor, site), DENIED)
    return site


def _fail(what: str, errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(f"{what}信息有误：" + "；".join(errors.values()), details=errors)


def _unknown(data: dict[str, Any], allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationFailed(
            "不能填写这些字段：" + "、".join(sorted(unknown)), details={k: "不可修改" for k in unknown}
        )


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # URLs not mounted
        return ""


# --- 工程信息 -------------------------------------------------------------------------------


@service("construction_project.update")
def project_update(*, actor: User, site: Site, data: dict[str, Any], responsible=None) -> ProjectInfo:
    """工程信息 of a construction site: 建设/施工/监理单位, 项目负责人 and (``responsible``,
    a list of users, or None to keep) the 监测预警接收人 — each must see the site."""
    site = _lock_site(site, actor)
    _unknown(data, INFO_FIELDS)
    errors: dict[str, str] = {}
    data = dict(data)
    _texts(data, errors, INFO_FIELDS)
    if site.site_type.code != SITE_TYPE:
        errors["site"] = "该场所不是建筑工地"
    people = None
    if responsible is not None:
        people = list({u.pk: u for u in responsible}.values())
        if len(people) > MAX_RESPONSIBLE:
            errors["responsible"] = f"监测预警接收人不超过{MAX_RESPONSIBLE}人"
        blind = [str(u) for u in people if not visible_sites(u).filter(pk=site.pk).exists()]
        if blind:
            errors["responsible"] = "这些人无权查看该工地，不能接收预警：" + "、".join(blind)
    _fail("工程", errors)
    info, _ = ProjectInfo.objects.select_for_update().get_or_create(site=site)
    before = {**snapshot(info, INFO_FIELDS), "responsible": sorted(info.responsible.values_list("pk", flat=True))}
    for key, value in data.items():
        setattr(info, key, value)
    info.save()
    if people is not None:
        info.responsible.set(people)
    after = {**snapshot(info, INFO_FIELDS), "responsible": sorted(info.responsible.values_list("pk", flat=True))}
    if after != before:
        audit_record(action="construction_project.update", actor=actor, obj=site, before=before, after=after)
    return info


# --- 危大工程 -------------------------------------------------------------------------------


def clean_work(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Work ``data`` normalised and checked (no right, no state rule): ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors, ["name", "scheme_approved_by", "note"])
    _dates(data, errors, today)
    _check_site(data, errors)
    if not data.get("name") and "name" not in errors:
        errors["name"] = "请填写危大工程名称或部位"
    if data.get("work_type") not in WorkType.values:
        errors["work_type"] = "类别应为：" + "、".join(WorkType.labels)
    if data.get("status") not in WorkStatus.values:
        errors["status"] = "状态应为：" + "、".join(WorkStatus.labels)
    conclusion = data.get("expert_conclusion") or ""
    data["expert_conclusion"] = conclusion
    if conclusion and conclusion not in ExpertConclusion.values:
        errors["expert_conclusion"] = "专家论证结论应为：" + "、".join(ExpertConclusion.labels)
    elif conclusion and not data.get("expert_review_on") and "expert_review_on" not in errors:
        errors["expert_review_on"] = "填写了论证结论，请填写专家论证日期"
    elif data.get("expert_review_on") and not conclusion:
        errors["expert_conclusion"] = "填写了专家论证日期，请填写论证结论"
    if bool(data.get("scheme_approved_on")) != bool(data.get("scheme_approved_by")):
        key = "scheme_approved_by" if data.get("scheme_approved_on") else "scheme_approved_on"
        errors.setdefault(key, "专项方案审批日期和审批人须同时填写")
    for flag in ("over_scale", "monitoring_required"):
        data[flag] = bool(data.get(flag))
    return data, errors


def work_not_ready(data: dict[str, Any]) -> str:
    """Why the work may not be 施工中/已完成 (empty when it may)."""
    if data["status"] == WorkStatus.NOT_STARTED:
        return ""
    missing = []
    if not (data.get("scheme_approved_on") and data.get("scheme_approved_by")):
        missing.append("专项施工方案尚未审批")
    if data.get("over_scale") and not (
        data.get("expert_review_on") and data.get("expert_conclusion") in PASSED_CONCLUSIONS
    ):
        missing.append("超过一定规模的危大工程尚未通过专家论证")
    if not missing:
        return ""
    status = WorkStatus(data["status"]).label
    return f"不能将危大工程设为“{status}”：" + "，".join(missing)


def _work_snapshot(work: DangerousWork) -> dict[str, Any]:
    return snapshot(work, WORK_FIELDS)


@service("dangerous_work.create")
def work_create(*, actor: User, data: dict[str, Any]) -> DangerousWork:
    """登记危大工程 of a construction site."""
    _unknown(data, WORK_FIELDS)
    data = {"status": WorkStatus.NOT_STARTED, **data}
    site = _lock_site(data.get("site"), actor)
    if site is not None:
        data["site"] = site
    data, errors = clean_work(data, timezone.localdate())
    _fail("危大工程", errors)
    problem = work_not_ready(data)
    if problem:
        raise ConflictError(problem, code="work_not_ready")
    work = DangerousWork.objects.create(created_by=actor, **data)
    audit_record(action="dangerous_work.create", actor=actor, obj=work, after=_work_snapshot(work))
    return work


@service("dangerous_work.update")
def work_update(*, actor: User, work: DangerousWork, data: dict[str, Any], reason: str = "") -> DangerousWork:
    """修改危大工程 (not its site), status included (the 37号令 rule above)."""
    work = DangerousWork.objects.select_for_update(of=("self",)).select_related("site__site_type").get(pk=work.pk)
    require(can_manage_project(actor, work.site), DENIED)
    _unknown(data, WORK_EDITABLE)
    merged = {f: getattr(work, f) for f in WORK_FIELDS}
    merged.update(data)
    merged, errors = clean_work(merged, timezone.localdate())
    if work.is_pit and merged.get("work_type") != WorkType.PIT and work.monitoring_points.exists():
        errors["work_type"] = "该基坑工程已有监测点，不能改为其他类别"
    _fail("危大工程", errors)
    problem = work_not_ready(merged)
    if problem:
        raise ConflictError(problem, code="work_not_ready")
    before = _work_snapshot(work)
    for key, value in merged.items():
        setattr(work, key, value)
    work.save()
    after = _work_snapshot(work)
    if after != before:
        audit_record(
            action="dangerous_work.update", actor=actor, obj=work, before=before, after=after, reason=reason[:300]
        )
    return work


# --- 起重机械 -------------------------------------------------------------------------------


def clean_crane(data: dict[str, Any], today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """Crane ``data`` normalised and checked: ``(data, errors by field)``."""
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors, ["record_no", "model_no", "owner_unit", "installer", "use_registration_no", "note"])
    _dates(data, errors, today)
    _check_site(data, errors)
    if data.get("crane_type") not in CraneType.values:
        errors["crane_type"] = "类型应为：" + "、".join(CraneType.labels)
    for key, message in (("record_no", "请填写备案编号"), ("owner_unit", "请填写产权单位")):
        if not data.get(key) and key not in errors:
            errors[key] = message
    if data.get("status") not in CraneStatus.values:
        errors["status"] = "状态应为：" + "、".join(CraneStatus.labels)
    result = data.get("inspection_result") or ""
    data["inspection_result"] = result
    if result and result not in InspectionResult.values:
        errors["inspection_result"] = "检验结果应为合格或不合格"
    elif result and not data.get("inspected_on") and "inspected_on" not in errors:
        errors["inspected_on"] = "填写了检验结果，请填写检验日期"
    inspected, until = data.get("inspected_on"), data.get("inspection_valid_until")
    if inspected and until and until < inspected and "inspection_valid_until" not in errors:
        errors["inspection_valid_until"] = "检验有效期不能早于检验日期"
    registered = data.get("use_registered_on")
    if inspected and registered and registered < inspected and "use_registered_on" not in errors:
        errors["use_registered_on"] = "使用登记日期不能早于检验日期（检验合格后办理使用登记）"
    down, notified = data.get("dismantled_on"), data.get("install_notified_on")
    if down and notified and down < notified and "dismantled_on" not in errors:
        errors["dismantled_on"] = "拆卸日期不能早于安装告知日期"
    return data, errors


def crane_not_ready(data: dict[str, Any], today: dt.date) -> str:
    """Why the crane may not have its status (empty when it may)."""
    status = data["status"]
    missing = []
    if status == CraneStatus.IN_USE:
        if not (data.get("inspected_on") and data.get("inspection_result") == InspectionResult.PASS):
            missing.append("没有检验合格的记录")
        elif data.get("inspection_valid_until") and data["inspection_valid_until"] < today:
            missing.append(f"检验已于 {data['inspection_valid_until']} 过期")
        if not data.get("use_registered_on"):
            missing.append("尚未办理使用登记")
    elif status == CraneStatus.DISMANTLED and not data.get("dismantled_on"):
        missing.append("请填写拆卸日期")
    if not missing:
        return ""
    return f"不能将起重机械设为“{CraneStatus(status).label}”：" + "，".join(missing)


def _check_crane_record(data: dict[str, Any], exclude: int | None, errors: dict[str, str]) -> None:
    if "record_no" in errors or not isinstance(data.get("site"), Site):
        return
    taken = Crane.objects.filter(site=data["site"], record_no=data["record_no"]).exclude(pk=exclude)
    if taken.exists():
        errors["record_no"] = f"该工地已登记备案编号为“{data['record_no']}”的起重机械"


@service("crane.create")
def crane_create(*, actor: User, data: dict[str, Any]) -> Crane:
    """登记起重机械 of a construction site."""
    _unknown(data, CRANE_FIELDS)
    data = {"status": CraneStatus.INSTALLING, **data}
    site = _lock_site(data.get("site"), actor)
    if site is not None:
        data["site"] = site
    today = timezone.localdate()
    data, errors = clean_crane(data, today)
    _check_crane_record(data, None, errors)
    _fail("起重机械", errors)
    problem = crane_not_ready(data, today)
    if problem:
        raise ConflictError(problem, code="crane_not_ready")
    crane = Crane.objects.create(created_by=actor, **data)
    audit_record(action="crane.create", actor=actor, obj=crane, after=snapshot(crane, CRANE_FIELDS))
    return crane


@service("crane.update")
def crane_update(*, actor: User, crane: Crane, data: dict[str, Any], reason: str = "") -> Crane:
    """修改起重机械 (not its site), status included (the 166号令 rule above)."""
    crane = Crane.objects.select_for_update(of=("self",)).select_related("site__site_type").get(pk=crane.pk)
    require(can_manage_project(actor, crane.site), DENIED)
    _unknown(data, CRANE_EDITABLE)
    merged = {f: getattr(crane, f) for f in CRANE_FIELDS}
    merged.update(data)
    today = timezone.localdate()
    merged, errors = clean_crane(merged, today)
    _check_crane_record(merged, crane.pk, errors)
    _fail("起重机械", errors)
    problem = crane_not_ready(merged, today)
    if problem:
        raise ConflictError(problem, code="crane_not_ready")
    before = snapshot(crane, CRANE_FIELDS)
    for key, value in merged.items():
        setattr(crane, key, value)
    crane.save()
    after = snapshot(crane, CRANE_FIELDS)
    if after != before:
        audit_record(action="crane.update", actor=actor, obj=crane, before=before, after=after, reason=reason[:300])
    return crane


# --- 深基坑监测 -----------------------------------------------------------------------------


def clean_point(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors, ["code", "location", "unit", "note"])
    work = data.get("work")
    if not isinstance(work, DangerousWork):
        errors["work"] = "请选择基坑工程"
    elif work.work_type != WorkType.PIT:
        errors["work"] = "监测点只能设在“基坑工程”类危大工程上"
    if not data.get("code") and "code" not in errors:
        errors["code"] = "请填写测点编号"
    if data.get("item") not in MonitoringItem.values:
        errors["item"] = "监测项目应为：" + "、".join(MonitoringItem.labels)
    if not data.get("unit") and "unit" not in errors:
        errors["unit"] = "请填写计量单位（如 mm、kN）"
    data["alarm_cumulative"] = _decimal(
        data.get("alarm_cumulative"), "累计值报警值", "alarm_cumulative", errors, positive=True
    )
    if data["alarm_cumulative"] is None and "alarm_cumulative" not in errors:
        errors["alarm_cumulative"] = "请填写累计值报警值"
    data["alarm_rate"] = _decimal(data.get("alarm_rate"), "变化速率报警值", "alarm_rate", errors, positive=True)
    data["is_active"] = bool(data.get("is_active", True))
    return data, errors


def _check_point_code(data: dict[str, Any], exclude: int | None, errors: dict[str, str]) -> None:
    if "code" in errors or not isinstance(data.get("work"), DangerousWork):
        return
    if PitMonitoringPoint.objects.filter(work=data["work"], code=data["code"]).exclude(pk=exclude).exists():
        errors["code"] = f"该基坑已有测点“{data['code']}”"


@service("pit_point.create")
def point_create(*, actor: User, data: dict[str, Any]) -> PitMonitoringPoint:
    """设置深基坑监测点 on a 基坑工程, with its 报警值."""
    _unknown(data, POINT_FIELDS)
    work = data.get("work")
    if isinstance(work, DangerousWork):
        work = DangerousWork.objects.select_for_update(of=("self",)).select_related("site__site_type").get(pk=work.pk)
        require(can_manage_project(actor, work.site), DENIED)
        data = {**data, "work": work}
    data, errors = clean_point(data)
    _check_point_code(data, None, errors)
    _fail("监测点", errors)
    point = PitMonitoringPoint.objects.create(created_by=actor, **data)
    audit_record(action="pit_point.create", actor=actor, obj=point, after=snapshot(point, POINT_FIELDS))
    return point


@service("pit_point.update")
def point_update(
    *, actor: User, point: PitMonitoringPoint, data: dict[str, Any], reason: str = ""
) -> PitMonitoringPoint:
    """修改监测点 (its 报警值 included; readings already recorded keep their alarm)."""
    point = PitMonitoringPoint.objects.select_for_update(of=("self",)).select_related("work__site").get(pk=point.pk)
    require(can_manage_project(actor, point.work.site), DENIED)
    _unknown(data, POINT_EDITABLE)
    merged = {f: getattr(point, f) for f in POINT_FIELDS}
    merged.update(data)
    merged, errors = clean_point(merged)
    _check_point_code(merged, point.pk, errors)
    _fail("监测点", errors)
    before = snapshot(point, POINT_FIELDS)
    for key, value in merged.items():
        setattr(point, key, value)
    point.save()
    after = snapshot(point, POINT_FIELDS)
    if after != before:
        audit_record(action="pit_point.update", actor=actor, obj=point, before=before, after=after, reason=reason[:300])
    return point


def alarm_reasons(point: PitMonitoringPoint, value: Decimal, rate: Decimal | None) -> list[str]:
    """Why a reading is beyond the point's thresholds (GB 50497: 达到报警值 — reached or beyond)."""
    reasons = []
    unit = point.unit
    if abs(value) >= point.alarm_cumulative:
        reasons.append(f"累计值 {value}{unit} 达到报警值 {point.alarm_cumulative}{unit}")
    if rate is not None and point.alarm_rate is not None and abs(rate) >= point.alarm_rate:
        reasons.append(f"变化速率 {rate}{unit}/天 达到报警值 {point.alarm_rate}{unit}/天")
    return reasons


def alarm_recipients(site: Site) -> list[User]:
    """Whom a 监测预警 tells: the project's 监测预警接收人, the 企业用户 of the site's unit, the
    staff of its 主管部门 (the site's owner and below)."""
    people: dict[int, User] = {}
    info = ProjectInfo.objects.filter(site=site).first()
    if info is not None:
        people.update({u.pk: u for u in info.responsible.filter(is_active=True)})
    if site.unit_id:
        ids = enterprise_users_by_unit([site.unit_id]).get(site.unit_id, [])
        people.update({u.pk: u for u in User.objects.filter(pk__in=ids)})
    if site.owner_id:
        people.update({u.pk: u for u in recipients_in(site.owner)})
    return list(people.values())


def _send_alarm(point_id: int, reading_id: int) -> None:
    point = PitMonitoringPoint.objects.select_related("work__site__owner").get(pk=point_id)
    reading = PitReading.objects.get(pk=reading_id)
    site = point.work.site
    notify(
        alarm_recipients(site),
        title=f"深基坑监测报警：{site.name} {point.code}",
        body=f"{point.work.name} 测点 {point.code}（{point.get_item_display()}）{reading.measured_on:%Y-%m-%d}："
        + "；".join(reading.alarm_reason.split("|")),
        url=_url("construction:point_detail", point.pk),
        kind="pit_alarm",
        target=point,
    )


@service("pit_reading.record")
def reading_record(*, actor: User, point: PitMonitoringPoint, data: dict[str, Any]) -> PitReading:
    """记录监测读数 (the 累计值 on a day, after the point's last reading); the daily rate is
    computed from the reading before; an alarm is recorded on it and notified on commit."""
    unknown = set(data) - set(READING_FIELDS)
    if unknown:
        raise ValidationFailed("不能填写这些字段：" + "、".join(sorted(unknown)))
    point = PitMonitoringPoint.objects.select_for_update(of=("self",)).select_related("work__site").get(pk=point.pk)
    require(
        can_manage_project(actor, point.work.site), "只有该工地的施工单位、行业主管部门、属地街道或区安委办可以记录读数"
    )
    data = dict(data)
    errors: dict[str, str] = {}
    _texts(data, errors, ["note"])
    today = timezone.localdate()
    _dates(data, errors, today)
    day = data.get("measured_on")
    if day is None and "measured_on" not in errors:
        errors["measured_on"] = "请填写测量日期"
    value = _decimal(data.get("value"), "累计值", "value", errors, positive=False)
    if value is None and "value" not in errors:
        errors["value"] = "请填写累计值（数字）"
    if not point.is_active:
        errors["point"] = "该测点已停测，不能记录读数"
    last = point.readings.order_by("-measured_on").first()
    if last is not None and day and "measured_on" not in errors and day <= last.measured_on:
        errors["measured_on"] = f"测量日期须晚于该测点上一次读数（{last.measured_on:%Y-%m-%d}）"
    _fail("监测读数", errors)
    rate = None
    if last is not None:
        rate = ((value - last.value) / (day - last.measured_on).days).quantize(Decimal("0.01"))
    reasons = alarm_reasons(point, value, rate)
    reading = PitReading.objects.create(
        point=point,
        measured_on=day,
        value=value,
        rate=rate,
        alarm=bool(reasons),
        alarm_reason="|".join(reasons)[:200],
        note=data.get("note", ""),
        recorded_by=actor,
    )
    audit_record(
        action="pit_reading.record",
        actor=actor,
        obj=point,
        after={"reading": reading.pk, **snapshot(reading, ["measured_on", "value", "rate", "alarm", "alarm_reason"])},
    )
    if reasons:
        transaction.on_commit(lambda: _send_alarm(point.pk, reading.pk))
    return reading


# --- 重大事故隐患判定依据 --------------------------------------------------------------------


@service("major_hazard.basis")
def hazard_basis_set(*, actor: User, hazard, clause: str, item: str = "", measures: str = "") -> MajorHazardBasis:
    """判定依据 (clause of the 2022 判定标准, the 情形) and 整改措施 of a 重大隐患 on a
    construction site, for the national database export. ``hazard`` is one the actor sees."""
    hazard = Hazard.objects.select_for_update(of=("self",)).select_related("site__site_type").get(pk=hazard.pk)
    site = hazard.site
    require(site is not None and can_manage_project(actor, site), DENIED)
    data = {"item_text": item, "measures": measures}
    errors: dict[str, str] = {}
    _texts(data, errors, ["item_text", "measures"])
    if clause not in MAJOR_HAZARD_CLAUSES:
        errors["clause"] = "请选择判定条款（第四条至第十五条）"
    if hazard.level != HazardLevel.MAJOR:
        errors["hazard"] = "只有重大隐患需要填写判定依据"
    if site.site_type.code != SITE_TYPE:
        errors["hazard"] = "该隐患不在建筑工地上"
    _fail("判定依据", errors)
    basis, created = MajorHazardBasis.objects.select_for_update().get_or_create(
        hazard=hazard, defaults={"clause": clause, "updated_by": actor}
    )
    fields = ["clause", "item", "measures"]
    before = snapshot(basis, fields)
    basis.clause, basis.item, basis.measures, basis.updated_by = clause, data["item_text"], data["measures"], actor
    basis.save()
    after = snapshot(basis, fields)
    if after != before or created:
        audit_record(action="major_hazard.basis", actor=actor, obj=hazard, before=before, after=after)
    return basis
