"""What ``zhiben tick`` does for the registry (see zhiben.core.tick for the convention).

Expiries of a unit's 一企一档, each reminded once 30 days ahead (when the
date first comes within ``EXPIRY_WARNING_DAYS``, the "即将到期" of the unit
page) and once on the day:

* 安全生产责任险 (``Unit.insurance_expiry``);
* 安全生产许可证 (``Unit.license_expiry``);
* documents with a 有效期至 (``UnitDocument.expires_on``: 证照, 保单 …).

Recipients: the unit's 企业用户 and the staff (部门领导/经办人) of the owner
department who may see the unit (its 科室 included, as the unit's scope
says). Each key carries the date: a renewed document is reminded again when
its new date comes near. The reads are date windows (30 days) over an index
on each expiry column (unit_insurance_expiry, unit_license_expiry,
unit_document_expires_on), so their cost follows the records expiring soon,
not the size of the registry (bench/results/tick.md).
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from zhiben.core.tick import pages
from zhiben.notify import services as notify
from zhiben.org.models import Organization

from .models import EXPIRY_WARNING_DAYS, Unit, UnitDocument

TARGET = "registry.unit"


def _stage(day: dt.date, today: dt.date) -> tuple[str, str] | None:
    days = (day - today).days
    if days == 0:
        return "0", "今天到期"
    if 0 < days <= EXPIRY_WARNING_DAYS:
        return f"-{EXPIRY_WARNING_DAYS}", f"将于{days}天后到期"
    return None


def _dues(today: dt.date, items: list[tuple[str, int, str, dt.date]]) -> list[notify.Due]:
    """``items``: (key stem, unit id, what expires, date)."""
    if not items:
        return []
    units = {u["pk"]: u for u in Unit.objects.filter(pk__in={i[1] for i in items}).values("pk", "name", "owner_id")}
    departments = {
        org.pk: org.department.pk for org in Organization.objects.filter(pk__in={u["owner_id"] for u in units.values()})
    }
    staff = notify.staff_by_org(set(departments.values()), notify.DEPARTMENT_ROLES)
    enterprise = notify.enterprise_users_by_unit(units)
    dues: list[notify.Due] = []
    for stem, unit_id, what, day in items:
        unit = units[unit_id]
        stage, when = _stage(day, today)
        recipients = [*enterprise.get(unit_id, []), *staff.get(departments.get(unit["owner_id"], -1), [])]
        dues += notify.fan_out(
            f"{stem}:{day.isoformat()}:{stage}",
            recipients,
            title=f"{what}{when}：{unit['name']}"[:200],
            body=(
                f"{unit['name']}的{what}有效期至 {day:%Y年%m月%d日}，请及时续期并更新一企一档。\n"
                "您收到此提醒，是因为您是该单位的企业用户或行业主管部门人员。"
            ),
            url=reverse("registry:unit_detail", args=[unit_id]),
            kind="registry.expiry",
            target_type=TARGET,
            target_id=unit_id,
        )
    return dues


EXPIRIES = (("insurance_expiry", "安全生产责任险"), ("license_expiry", "安全生产许可证"))


def unit_window(field: str, today: dt.date):
    """Units whose ``field`` (an expiry) is within the warning window."""
    until = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    return Unit.objects.filter(**{f"{field}__gte": today, f"{field}__lte": until}).values("pk", field)


def document_window(today: dt.date):
    """Documents whose 有效期至 is within the warning window."""
    until = today + dt.timedelta(days=EXPIRY_WARNING_DAYS)
    return UnitDocument.objects.filter(expires_on__gte=today, expires_on__lte=until).values(
        "pk", "unit_id", "title", "expires_on"
    )


def run(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    today = timezone.localdate(now)
    sent = 0
    for field, label in EXPIRIES:
        for rows in pages(unit_window(field, today)):
            items = [(f"unit:{r['pk']}:{field}", r["pk"], label, r[field]) for r in rows]
            sent += notify.send_reminders(_dues(today, items), dry_run=dry_run)
    for rows in pages(document_window(today)):
        items = [(f"unit-document:{r['pk']}", r["unit_id"], f"档案材料“{r['title']}”", r["expires_on"]) for r in rows]
        sent += notify.send_reminders(_dues(today, items), dry_run=dry_run)
    return {"到期提醒": sent}
