"""What ``zhiben tick`` does for tips (see zhiben.core.tick for the convention).

A tip is answered within ``ZHIBEN_TIP_REPLY_WORKING_DAYS`` (3) working days
of its receipt (core.workdays: weekends, holidays and 调休). For every tip
still unanswered (status in UNANSWERED_STATUSES):

* on its due day, its handlers are reminded once ("今天是答复期限");
* once it is late, they are told once ("答复已逾期"), within
  ``LATE_WINDOW`` days of the due day (a first tick over old data stays quiet).

Handlers: the staff (部门领导/经办人/街道经办人) of the organization the tip is
routed to and below it who may see it, and the district admins when it is
routed to the 区安委办 (an office) — the people ``tips.services`` tells about
a new tip. The read is a window of receipt dates over the (status,
received_on) index.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from zhiben.core.tick import pages
from zhiben.notify import services as notify
from zhiben.org.choices import OrgKind

from .choices import UNANSWERED_STATUSES
from .models import Tip, add_working_days, reply_working_days

TARGET = "tips.tip"
LATE_WINDOW = 7


def _receipts_due(today: dt.date) -> dict[dt.date, dt.date]:
    """Receipt date -> reply due date, for the receipts due today or late
    by at most LATE_WINDOW days."""
    days = reply_working_days()
    out = {}
    # 3 working days span at most a couple of weeks (the Spring Festival).
    for back in range(0, LATE_WINDOW + 4 * days + 21):
        received = today - dt.timedelta(days=back)
        due = add_working_days(received, days)
        if today - dt.timedelta(days=LATE_WINDOW) <= due <= today:
            out[received] = due
    return out


def run(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    today = timezone.localdate(now)
    receipts = _receipts_due(today)
    window = Tip.objects.filter(status__in=UNANSWERED_STATUSES, received_on__in=list(receipts)).values(
        "pk", "received_on", "routed_to_id", "routed_to__kind"
    )
    sent = 0
    for rows in pages(window):
        sent += notify.send_reminders(_dues(today, receipts, rows), dry_run=dry_run)
    return {"答复提醒": sent}


def _dues(today: dt.date, receipts: dict[dt.date, dt.date], rows: list[dict]) -> list[notify.Due]:
    staff = notify.staff_by_org({r["routed_to_id"] for r in rows})
    admins = notify.district_admin_ids() if any(r["routed_to__kind"] == OrgKind.OFFICE for r in rows) else []
    dues: list[notify.Due] = []
    for row in rows:
        due = receipts[row["received_on"]]
        number = f"JB{row['pk']:06d}"
        if due == today:
            stage, title = "due", f"今天是举报答复期限：{number}"
            why = f"该举报 {row['received_on']:%Y年%m月%d日} 收到，应在 {reply_working_days()} 个工作日内（今天）答复。"
        else:
            stage, title = "late", f"举报答复已逾期：{number}"
            why = f"该举报 {row['received_on']:%Y年%m月%d日} 收到，答复期限 {due:%Y年%m月%d日} 已过，仍未答复。"
        recipients = [*staff.get(row["routed_to_id"], [])]
        if row["routed_to__kind"] == OrgKind.OFFICE:
            recipients += admins
        dues += notify.fan_out(
            f"tip:{row['pk']}:reply:{stage}:{due.isoformat()}",
            recipients,
            title=title,
            body=f"{why}\n您收到此提醒，是因为该举报交由您所在的部门（街道）办理。",
            url=reverse("tips:detail", args=[row["pk"]]),
            kind="tip.reply_due",
            target_type=TARGET,
            target_id=row["pk"],
        )
    return dues
