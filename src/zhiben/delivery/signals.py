"""Listeners connected from DeliveryConfig.ready(): delivery learns of hazard
and report events only through the audit trail (audit is the lowest app;
delivery imports nobody above notify)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from zhiben.audit.models import AuditEvent

from .choices import event_type_of

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

        try:
            queue_event(event_id=event_id, event_type=event_type, occurred_at=occurred_at, data=data)
        except Exception:  # the change is committed; a queueing fault must not fail the request
            logger.exception("webhook event %s (%s) not queued", event_id, event_type)

    # Queued only when the change it describes is committed.
    transaction.on_commit(queue)
