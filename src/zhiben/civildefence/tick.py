"""What ``zhiben tick`` does for civildefence (see zhiben.core.tick for the convention).

In the last week of a month (its last 7 days), every filed work due this month
(use state 在用 or 闲置, filed by today) whose site has no finished inspection with
the checklist ``civil-defense-monthly`` dated this month is reminded to the staff
(部门领导/部门经办人) of the organization responsible for the work — the site's
owner and the organizations below it — once per work per month: the key is
``civildefence:monthly:<filing>:<YYYY-MM>`` (plus the recipient), so any number of
ticks send it once. Recipients who may not see the filing get nothing (notify
checks scope). The read is the set of open filings, in pages.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.urls import reverse
from django.utils import timezone

from zhiben.core.tick import pages
from zhiben.notify import services as notify

from .selectors import unchecked_this_month

TARGET = "civildefence.usefiling"
LAST_WEEK_DAYS = 7


def in_last_week(today: dt.date) -> bool:
    days = calendar.monthrange(today.year, today.month)[1]
    return today.day > days - LAST_WEEK_DAYS


def _dues(rows: list[dict], today: dt.date) -> list[notify.Due]:
    month = f"{today:%Y-%m}"
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    staff = notify.staff_by_org({r["site__owner_id"] for r in rows if r["site__owner_id"]}, notify.DEPARTMENT_ROLES)
    dues: list[notify.Due] = []
    for row in rows:
        recipients = staff.get(row["site__owner_id"], [])
        dues += notify.fan_out(
            f"civildefence:monthly:{row['pk']}:{month}",
            recipients,
            title=f"人防工程本月尚未检查：{row['site__name']}"[:200],
            body=(
                f"{row['site__name']}（使用备案 {row['filing_no']}）在 {today:%Y年%m月} 还没有完成的月度检查"
                f"（检查表“人防工程（地下空间）月度检查”），请在 {last:%m月%d日} 前完成。\n"
                "您收到此提醒，是因为您是该工程负责部门的人员。"
            ),
            url=reverse("civildefence:detail", args=[row["pk"]]),
            kind="civildefence.monthly",
            target_type=TARGET,
            target_id=row["pk"],
        )
    return dues


def run(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int]:
    today = timezone.localdate(now)
    if not in_last_week(today):
        return {"人防月度检查提醒": 0}
    sent = 0
    for rows in pages(unchecked_this_month(today)):
        sent += notify.send_reminders(_dues(rows, today), dry_run=dry_run)
    return {"人防月度检查提醒": sent}
