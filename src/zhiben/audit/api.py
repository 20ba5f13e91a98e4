"""API: the audit trail, read-only, for administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from zhiben.api.base import Cursor, Id, Limit, Text, paginate_by_id
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import PermissionDeniedError
from zhiben.org.services import can_manage_users

from .models import AuditEvent

router = Router(tags=["审计"])


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any
    after: Any
    reason: str
    request_id: str
    client_ip: str | None
    prev_hash: str
    hash: str


class AuditPage(Schema):
    items: list[AuditEventOut]
    next_cursor: str | None


@router.get("/audit", response=AuditPage, summary="审计记录（管理员，只读，新的在前）")
def audit_list(
    request,
    action: Text(64) | None = None,
    actor_id: Id | None = None,
    object_type: Text(64) | None = None,
    object_id: Text(64) | None = None,
    cursor: Cursor | None = None,
    limit: Limit = 100,
):
    if not can_manage_users(request.auth):
        raise PermissionDeniedError("仅区安委办管理员可查看审计记录")
    qs = AuditEvent.objects.restrict(request.auth, "view")
    if action:
        qs = qs.filter(action=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit, descending=True)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/audit/{event_id}", response=AuditEventOut, summary="审计记录详情")
def audit_detail(request, event_id: Id):
    return get_scoped_or_404(AuditEvent, request.auth, "view", pk=event_id)
