"""What ``zhiben tick`` does for transport (see zhiben.core.tick for the convention).

Once a month, from the month's first working day (``core.workdays``; a tick missed on
that day sends on the next one), the previous month's 高风险 list (``selectors.
high_risk_all``) is announced:

* to each operator unit's 企业用户: how many of its vehicles and drivers are on it,
  linking to the list (which shows them their own unit only);
* to the staff (部门领导/经办人) of each unit owner's department (the 主管部门): how many
  of its units' vehicles and drivers are on it.

Keys ``transport-high-risk:<YYYY-MM>:unit:<id>`` / ``…:dept:<id>`` (plus the recipient,
``notify.fan_out``) make each notice go out once per month, also when several ticks run
at once. Bounded: the list is the month's violations and the expired dates (indexed
columns), computed once per tick while the month's notices are not all sent.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from zhiben.core.workdays import is_workday
from zhiben.notify import services as notify
from zhiben.notify.models import Reminder
from zhiben.org.models import Organization

from .selectors import high_risk_all, previous_month

KIND = "transport.high_risk"


def first_workday(month_start: dt.date) -> dt.date:
    day = month_start
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def _counts(rows) -> dict[int, list[int]]:
    """unit id → [vehicles, drivers]."""
    out: dict[int, list[int]] = {}
    for row in rows:
        out.setdefault(row.unit.pk, [0, 0])[0 if row.kind == "vehicle" else 1] += 1
    return out


def dues(today: dt.date) -> list[notify.Due]:
    month = previous_month(today)
    stem = f"transport-high-risk:{month:%Y-%m}"
    rows = high_risk_all(month, today)
    if not rows:
        return []
    units = {row.unit.pk: row.unit for row in rows}
    counts = _counts(rows)
    url = reverse("transport:high_risk") + f"?month={month:%Y-%m}"
    title_month = f"{month.year}年{month.month}月"
    enterprise = notify.enterprise_users_by_unit(units)
    result: list[notify.Due] = []
    departments: dict[int, list[int]] = {}
    owners = {o.pk: o for o in Organization.objects.filter(pk__in={u.owner_id for u in units.values() if u.owner_id})}
    for unit_id, (vehicles, drivers) in counts.items():
        unit = units[unit_id]
        result += notify.fan_out(
            f"{stem}:unit:{unit_id}",
            enterprise.get(unit_id, []),
            title=f"{title_month}高风险清单：{unit.name}有车辆 {vehicles} 辆、驾驶员 {drivers} 名"[:200],
            body=(
                f"根据{title_month}的违法记录和年检、保险、驾驶证、记分情况，贵单位有车辆 {vehicles} 辆、"
                f"驾驶员 {drivers} 名列入高风险清单，请逐一查看原因并整改。\n"
                "您收到此提醒，是因为您是该单位的企业用户。"
            ),
            url=url,
            kind=KIND,
            target_type="registry.unit",
            target_id=unit_id,
        )
        owner = owners.get(unit.owner_id)
        if owner is not None:
            department = owner.department
            departments.setdefault(department.pk, [0, 0, 0])
            totals = departments[department.pk]
            totals[0] += vehicles
            totals[1] += drivers
            totals[2] += 1
    staff = notify.staff_by_org(set(departments), notify.DEPARTMENT_ROLES)
    for dept_id, (vehicles, drivers, n_units) in departments.items():
        result += notify.fan_out(
            f"{stem}:dept:{dept_id}",
            staff.get(dept_id, []),
            title=f"{title_month}道路运输高风险清单：{n_units} 家企业，车辆 {vehicles} 辆、驾驶员 {drivers} 名",
            body=(
                f"{title_month}，本部门主管的 {n_units} 家运输企业有车辆 {vehicles} 辆、驾驶员 {drivers} 名"
                "列入高风险清单（规则见清单页面），请督促企业整改。\n"
                "您收到此提醒，是因为您是这些企业的行业主管部门人员。"
            ),
            url=url,
            kind=KIND,
            target_type="",
            target_id=None,
        )
    return result


def run(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    today = timezone.localdate(now)
    if today < first_workday(today.replace(day=1)):
        return {"高风险清单提醒": 0}
    month = previous_month(today)
    # Cheap guard: a month whose notices went out (any key of it taken) and that had
    # nothing new is not recomputed on every tick of the month.
    if Reminder.objects.filter(key__startswith=f"transport-high-risk:{month:%Y-%m}:").exists():
        return {"高风险清单提醒": 0}
    return {"高风险清单提醒": notify.send_reminders(dues(today), dry_run=dry_run)}
