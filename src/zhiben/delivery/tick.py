"""Delivery's part of ``zhiben tick`` (and ``zhiben deliver``): queue e-mails
for new notifications and the daily digests, then send what is due — e-mails
and webhook deliveries — with retries on the backoff schedule.

Exactly once: an instant e-mail is unique per notification, a digest per
user and day, a webhook delivery per subscription and event; a row is sent by
the runner whose conditional update claimed it (see services)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services
from .choices import DeliveryStatus, EmailStatus
from .models import Delivery, OutgoingEmail

LABELS = {  # the Chinese names `zhiben tick` prints (core/tick.py)
    "emails_due": "待发邮件",
    "webhooks_due": "待投递事件",
    "emails_queued": "即时邮件",
    "digests_queued": "每日汇总",
    "emails_sent": "邮件已发",
    "emails_failed": "邮件失败",
    "webhooks_sent": "事件已投递",
    "webhooks_failed": "事件投递失败",
}
STAGE = 1  # after the apps whose ticks create messages (core/tick.py), so they are mailed in the same tick


def run(now: dt.datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    now = now or timezone.now()
    if dry_run:
        return {
            "emails_due": OutgoingEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now).count(),
            "webhooks_due": Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).count(),
        }
    result = {
        "emails_queued": services.queue_instant_emails(now),
        "digests_queued": services.queue_digests(now),
    }
    result.update(services.send_due_emails(now))
    result.update(services.send_due_deliveries(now))
    return result
