"""Delivery's background work (core/background.py): a webhook event is posted, and an instant
e-mail sent, by a task as soon as the change is committed; the tick (delivery/tick.py) still runs
the retries on the backoff schedule, the daily digests, and whatever a task could not send."""

from __future__ import annotations

from django.utils import timezone

from zhiben.core.background import background_task

from . import services
from .choices import DeliveryStatus
from .models import Delivery


@background_task(queue_name="default")
def send_event(event_id: str) -> dict[str, int]:
    """First attempt of each delivery of one event (a failure is retried by the tick)."""
    now = timezone.now()
    sent = failed = 0
    pending = Delivery.objects.filter(event_id=event_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    for pk in pending.values_list("pk", flat=True):
        outcome = services.attempt_delivery(pk, now=now)
        sent += outcome is True
        failed += outcome is False
    return {"webhooks_sent": sent, "webhooks_failed": failed}


@background_task(queue_name="default")
def send_instant_emails() -> dict[str, int]:
    """Instant e-mails for the messages just created (each once: unique per message)."""
    now = timezone.now()
    return {"emails_queued": services.queue_instant_emails(now), **services.send_due_emails(now)}
