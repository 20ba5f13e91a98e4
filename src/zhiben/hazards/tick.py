"""What ``zhiben tick`` does for hazards (see zhiben.core.tick for the convention).

* 整改时限 reminders, for hazards 整改中 (confirmed, not yet submitted for
  verification): once when the deadline is 3 days or less away, once on the
  day, and "已逾期" once when it has passed (within ``OVERDUE_WINDOW`` days of
  the deadline, so that a first tick over an old ledger does not flood the
  inboxes with years-old news). Recipients: the responsible unit's 企业用户
  and the staff (部门领导/经办人) of the owning department who may see the
  hazard. Each key carries the deadline: a changed 整改时限 is reminded again.
* 督办: an open 重大 hazard past its 整改时限 and not under 督办 is put under
  督办 (区级督办, 期限 ``ZHIBEN_SUPERVISION_WORKDAYS`` working days, default 10)
  through ``hazards.services.supervision_open`` — the service writes the
  Supervision, its audit row and tells the owner's staff. The actor is the
  system account :func:`system_actor` ("zhiben-system", 系统自动督办): an
  inactive account without a usable password (it can never sign in; it
  holds the superuser flag only so that the service's 区安委办 rule accepts
  it), so the audit log names the system and never a person who did
  nothing. Once per hazard and 整改时限 (a 解除督办 is not undone by the next
  tick); at most ``ZHIBEN_TICK_ESCALATIONS`` (default 100) per tick, most
  overdue first.
* 区安委办: an open 重大 hazard overdue for ``ZHIBEN_ESCALATE_AFTER_DAYS``
  (default 7) days is reported to the district admins, with an audit row
  ("hazard.escalate", actor "system"), once per hazard and 整改时限 — when it
  crosses that line (within ``OVERDUE_WINDOW`` days of it: hazards that
  crossed it long before the first tick are on the overdue pages already,
  and 614 messages per admin on the bench ledger's first tick were noise).
* 治理方案 计划完成日期: a 重大 hazard whose plan (GovernancePlan) has a
  ``finish_date`` is reminded once when it is 3 days or less away and once on
  the day, to the same parties as the 整改时限 reminder, while the hazard is
  still being worked on (待确认, 整改中, 移交中 — not 待验收: the plan is
  frozen while the rectification it describes is being verified, and not
  closed or void). Each key carries the date: a changed plan is reminded
  again. Read over the plan's ``finish_date`` index (a window of 4 days).

All reads are windows over the (status, deadline) index or the plan's
finish_date index: the cost depends on the hazards due around today, not on
the size of the ledger.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from zhiben.audit.services import audit_record
from zhiben.core.errors import ServiceError
from zhiben.core.tick import batch_size, pages, setting
from zhiben.core.workdays import add_workdays
from zhiben.notify import services as notify
from zhiben.notify.models import Reminder
from zhiben.org.models import Organization

from .choices import OPEN_STATUSES, HazardLevel, HazardStatus, SupervisionKind, SupervisionLevel
from .models import GovernancePlan, Hazard, Supervision
from .services import supervision_open

TARGET = "hazards.hazard"
BEFORE_DAYS = 3
OVERDUE_WINDOW = 7
SYSTEM_USERNAME = "zhiben-system"


def escalate_after_days() -> int:
    return setting("ZHIBEN_ESCALATE_AFTER_DAYS", 7)


def supervision_workdays() -> int:
    return setting("ZHIBEN_SUPERVISION_WORKDAYS", 10)


def escalation_batch() -> int:
    return setting("ZHIBEN_TICK_ESCALATIONS", 100)


def system_actor():
    """The account automatic 督办 is recorded under (created on first use)."""
    # get_or_create: two ticks creating it at once both end with the same row.
    user, _ = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={
            "display_name": "系统（自动督办）",
            "is_active": False,
            "is_superuser": True,
            "password": make_password(None),  # unusable: it can never sign in
        },
    )
    return user


class _Recipients:
    """The parties told about a hazard, looked up once per tick per unit and department."""

    def __init__(self) -> None:
        self._departments: dict[int, int] = {}
        self._staff: dict[int, list[int]] = {}
        self._unit_users: dict[int, list[int]] = {}

    def load(self, rows: list[dict]) -> None:
        owners = {r["owner_id"] for r in rows} - set(self._departments)
        for org in Organization.objects.filter(pk__in=owners):
            self._departments[org.pk] = org.department.pk
        departments = set(self._departments.values()) - set(self._staff)
        self._staff.update(notify.staff_by_org(departments, notify.DEPARTMENT_ROLES))
        for dep in departments:
            self._staff.setdefault(dep, [])
        units = {r["unit_id"] for r in rows if r["unit_id"]} - set(self._unit_users)
        found = notify.enterprise_users_by_unit(units)
        for unit in units:
            self._unit_users[unit] = found.get(unit, [])

    def of(self, row: dict) -> list[int]:
        staff = self._staff.get(self._departments.get(row["owner_id"], -1), [])
        return [*self._unit_users.get(row["unit_id"], []), *staff]


FIELDS = ("pk", "code", "title", "deadline", "owner_id", "unit_id", "unit_name", "level")


def _deadline_window(today: dt.date):
    return Hazard.objects.filter(
        status=HazardStatus.RECTIFYING,
        deadline__gte=today - dt.timedelta(days=OVERDUE_WINDOW),
        deadline__lte=today + dt.timedelta(days=BEFORE_DAYS),
    ).values(*FIELDS)


def _deadline_reminders(today: dt.date, recipients: _Recipients, rows: list[dict]) -> list[notify.Due]:
    recipients.load(rows)
    dues: list[notify.Due] = []
    for row in rows:
        deadline: dt.date = row["deadline"]
        days = (deadline - today).days
        name = f"{row['code']} {row['title']}"
        if days > 0:
            stage, title = f"-{BEFORE_DAYS}", f"整改时限将到（还有{days}天）：{name}"
            why = f"该隐患的整改时限为 {deadline:%Y年%m月%d日}，还有 {days} 天。"
        elif days == 0:
            stage, title = "0", f"今天是整改时限：{name}"
            why = f"该隐患的整改时限为今天（{deadline:%Y年%m月%d日}）。"
        else:
            stage, title = "overdue", f"隐患已逾期：{name}"
            why = f"该隐患的整改时限 {deadline:%Y年%m月%d日} 已过，仍未完成整改。"
        body = (
            f"{why}\n责任单位：{row['unit_name']}\n"
            "您收到此提醒，是因为您是该隐患的责任单位用户或主管部门人员。请按期整改并提交验收。"
        )
        dues += notify.fan_out(
            f"hazard:{row['pk']}:deadline:{stage}:{deadline.isoformat()}",
            recipients.of(row),
            title=title,
            body=body,
            url=reverse("hazards:detail", args=[row["pk"]]),
            kind="hazard.deadline",
            target_type=TARGET,
            target_id=row["pk"],
        )
    return dues


# Still being worked on: the plan may be changed (not 待验收), the hazard is not closed.
PLAN_STATUSES = (HazardStatus.PENDING, HazardStatus.RECTIFYING, HazardStatus.TRANSFERRING)


def _plan_finish_window(today: dt.date):
    """Plans whose 计划完成日期 is today or in the next ``BEFORE_DAYS`` days,
    read over the plan's finish_date index (paged by the plan's pk). The
    hazard's conditions are checked per page by :func:`_plan_hazards`: joined
    here, SQLite (no statistics) would rather walk every open 重大 hazard."""
    return GovernancePlan.objects.filter(
        finish_date__gte=today, finish_date__lte=today + dt.timedelta(days=BEFORE_DAYS)
    ).values("pk", "hazard_id", "finish_date")


def _plan_hazards(plans: list[dict]) -> list[dict]:
    """The page's plans of 重大 hazards still being worked on, with the
    hazard's fields as the 整改时限 reminder reads them (one query by pk)."""
    hazards = {
        row["pk"]: row
        for row in Hazard.objects.filter(
            pk__in=[plan["hazard_id"] for plan in plans], level=HazardLevel.MAJOR, status__in=PLAN_STATUSES
        ).values(*FIELDS)
    }
    return [
        {**hazards[plan["hazard_id"]], "finish_date": plan["finish_date"]}
        for plan in plans
        if plan["hazard_id"] in hazards
    ]


def _plan_finish_reminders(today: dt.date, recipients: _Recipients, rows: list[dict]) -> list[notify.Due]:
    recipients.load(rows)
    dues: list[notify.Due] = []
    for row in rows:
        finish: dt.date = row["finish_date"]
        days = (finish - today).days
        name = f"{row['code']} {row['title']}"
        if days > 0:
            stage, title = f"-{BEFORE_DAYS}", f"治理方案计划完成日期将到（还有{days}天）：{name}"
            why = f"该重大隐患的治理方案计划于 {finish:%Y年%m月%d日} 完成治理，还有 {days} 天。"
        else:
            stage, title = "0", f"今天是治理方案计划完成日期：{name}"
            why = f"该重大隐患的治理方案计划于今天（{finish:%Y年%m月%d日}）完成治理。"
        body = (
            f"{why}\n责任单位：{row['unit_name']}\n"
            "您收到此提醒，是因为您是该隐患的责任单位用户或主管部门人员。"
            "请按治理方案完成治理；如需调整，请修改治理方案。"
        )
        dues += notify.fan_out(
            f"hazard:{row['pk']}:plan_finish:{stage}:{finish.isoformat()}",
            recipients.of(row),
            title=title,
            body=body,
            url=reverse("hazards:detail", args=[row["pk"]]),
            kind="hazard.plan_finish",
            target_type=TARGET,
            target_id=row["pk"],
        )
    return dues


def _key(pk: int, action: str, deadline: dt.date) -> str:
    """The "done" key of a one-off action on a hazard for one 整改时限."""
    return f"hazard:{pk}:{action}:{deadline.isoformat()}"


def _done(action: str):
    """Reminder rows marking ``action`` done for the outer hazard and its
    current 整改时限 — :func:`_key` in SQL, so that the candidates are read
    with NOT EXISTS against the unique key index (no Python filtering,
    no starvation behind hazards already handled). A date cast to text is
    ISO (YYYY-MM-DD) on SQLite and PostgreSQL."""
    key = Concat(
        Value("hazard:"),
        Cast(OuterRef("pk"), CharField()),
        Value(f":{action}:"),
        Cast(OuterRef("deadline"), CharField()),
        output_field=CharField(),
    )
    return Reminder.objects.filter(key=key)


def _overdue_major(today: dt.date):
    return Hazard.objects.filter(status__in=OPEN_STATUSES, level=HazardLevel.MAJOR, deadline__lt=today)


def _supervise(today: dt.date, dry_run: bool) -> int:
    active = Supervision.objects.filter(hazard=OuterRef("pk"), is_active=True)
    todo = list(
        _overdue_major(today)
        .filter(~Exists(active), ~Exists(_done("supervise")))
        .order_by("deadline", "pk")
        .values_list("pk", "deadline")[: escalation_batch()]
    )
    keys = {pk: _key(pk, "supervise", deadline) for pk, deadline in todo}
    if dry_run or not todo:
        return len(todo)
    actor = system_actor()
    until = add_workdays(today, supervision_workdays())
    count = 0
    for pk, deadline in todo:
        overdue = (today - deadline).days
        try:
            with transaction.atomic():
                if not notify.claim_once(keys[pk]):
                    continue
                supervision_open(
                    actor=actor,
                    hazard=pk,
                    kind=SupervisionKind.SUPERVISED,
                    level=SupervisionLevel.DISTRICT,
                    deadline=until,
                    requirement=(
                        f"重大隐患整改时限 {deadline:%Y年%m月%d日} 已逾期 {overdue} 天，系统自动督办："
                        f"请于 {until:%Y年%m月%d日} 前完成整改并反馈。"
                    ),
                )
        except ServiceError:
            # Closed or put under 督办 meanwhile: nothing to do; the key is free again.
            continue
        count += 1
    return count


def _district(today: dt.date, limit: int, dry_run: bool) -> tuple[int, list[notify.Due]]:
    after = escalate_after_days()
    rows = list(
        _overdue_major(today)
        .filter(
            ~Exists(_done("district")),
            deadline__lte=today - dt.timedelta(days=after),
            deadline__gte=today - dt.timedelta(days=after + OVERDUE_WINDOW),
        )
        .order_by("deadline", "pk")
        .values(*FIELDS)[:limit]
    )
    keys = {row["pk"]: _key(row["pk"], "district", row["deadline"]) for row in rows}
    if dry_run or not rows:
        return len(rows), []
    admins = notify.district_admin_ids()
    dues: list[notify.Due] = []
    count = 0
    for row in rows:
        overdue = (today - row["deadline"]).days
        with transaction.atomic():
            if not notify.claim_once(keys[row["pk"]]):
                continue
            audit_record(
                action="hazard.escalate",
                actor_name="system",
                object_type=TARGET,
                object_id=str(row["pk"]),
                object_repr=f"{row['code']} {row['title']}"[:200],
                after={"to": "区安委办", "deadline": row["deadline"], "overdue_days": overdue},
                reason=f"重大隐患逾期 {overdue} 天（超过 {after} 天）",
            )
        count += 1
        dues += notify.fan_out(
            keys[row["pk"]],
            admins,
            title=f"重大隐患逾期{overdue}天，提请区安委办督办：{row['code']} {row['title']}",
            body=(
                f"整改时限 {row['deadline']:%Y年%m月%d日} 已过 {overdue} 天（超过 {after} 天），隐患仍未整改完毕。\n"
                f"责任单位：{row['unit_name']}\n您收到此提醒，是因为您是区安委办管理员。"
            ),
            url=reverse("hazards:detail", args=[row["pk"]]),
            kind="hazard.escalate",
            target_type=TARGET,
            target_id=row["pk"],
        )
    return count, dues


def run(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    today = timezone.localdate(now)
    limit = batch_size()
    recipients = _Recipients()
    reminders = 0
    for rows in pages(_deadline_window(today), limit):
        reminders += notify.send_reminders(_deadline_reminders(today, recipients, rows), dry_run=dry_run)
    plan_reminders = 0
    for plans in pages(_plan_finish_window(today), limit):
        rows = _plan_hazards(plans)
        plan_reminders += notify.send_reminders(_plan_finish_reminders(today, recipients, rows), dry_run=dry_run)
    supervised = _supervise(today, dry_run)
    escalated, district_dues = _district(today, limit, dry_run)
    notify.send_reminders(district_dues, dry_run=dry_run)
    return {
        "整改时限提醒": reminders,
        "治理方案完成日期提醒": plan_reminders,
        "自动督办": supervised,
        "报区安委办": escalated,
    }
