"""Listeners connected from DeliveryConfig.ready(): delivery learns of hazard
and report events only through the audit trail (audit is the lowest app;
delivery imports nobody above notify), and of new messages through notify's
``notifications_created`` signal; each enqueues the task that sends at once."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from zhiben.audit.models import AuditEvent
from zhiben.core.background import enqueue_on_commit
from zhiben.notify.signals import notifications_created

from .choices import EmailMode, event_type_of
from .models import ChannelPreference

logger = logging.getLogger("zhiben.delivery")


def event_data(event: AuditEvent) -> dict:
    """The ``data`` of a webhook body: the object, the action and who did it."""
    return {
        "action": event.action,
        "object": {"type": event.object_type, "id": event.object_id, "name": event.object_repr},
        "actor": event.actor_name,
        "reason": event.reason,
        "changes": event.after,
        "audit_id": event.pk,
    }


@receiver(post_save, sender=AuditEvent, dispatch_uid="delivery.audit_event")
def _on_audit_event(sender, instance: AuditEvent, created: bool, **kwargs) -> None:
    if not created:
        return
    event_type = event_type_of(instance.action)
    if event_type is None:
        return
    event_id = f"evt_{instance.pk}"
    occurred_at = instance.created_at
    data = event_data(instance)

    def queue() -> None:
        from .services import queue_event
        from .tasks import send_event

        try:
            if queue_event(event_id=event_id, event_type=event_type, occurred_at=occurred_at, data=data):
                enqueue_on_commit(send_event, event_id)
        except Exception:  # the change is committed; a queueing fault must not fail the request (the tick sends)
            logger.exception("webhook event %s (%s) not queued", event_id, event_type)

    # Queued only when the change it describes is committed.
    transaction.on_commit(queue)


@receiver(notifications_created, dispatch_uid="delivery.instant_email")
def _on_notifications(sender, recipient_ids: list[int], **kwargs) -> None:
    """Messages were created: if one of their recipients chose instant e-mail for some kind of
    message, a task mails what is due (the task checks the kind; one query here)."""
    if not recipient_ids:
        return
    if ChannelPreference.objects.filter(user_id__in=recipient_ids, email=EmailMode.INSTANT).exists():
        from .tasks import send_instant_emails

        try:
            enqueue_on_commit(send_instant_emails)
        except Exception:  # the tick mails them
            logger.exception("instant e-mails not enqueued")
