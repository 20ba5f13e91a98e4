"""Read-side helpers of the audit log: the events a user may read, filtered."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events(
    user,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
) -> QuerySet[AuditEvent]:
    """The events ``user`` may read (``restrict(user, "view")``), narrowed by
    the given exact filters (an empty value filters nothing)."""
    qs = AuditEvent.objects.restrict(user, "view")
    if action:
        qs = qs.filter(action=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs


def record_events(object_type: str, object_id, limit: int = 30) -> QuerySet[AuditEvent]:
    """The last ``limit`` audit events of one record (``"registry.site"``, pk), newest
    first, with their actors: the 变更记录 of a detail page (shown to whoever may see
    the record)."""
    return (
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id))
        .select_related("actor")
        .order_by("-id")[:limit]
    )
