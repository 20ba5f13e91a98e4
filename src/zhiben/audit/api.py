"""API: the audit trail, read-only, for administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Router, Schema

from zhiben.api.base import Cursor, Id, Limit, Text, paginate_by_id
from zhiben.core.access import get_scoped_or_404
from zhiben.core.errors import PermissionDeniedError

from .access import can_read_audit_log
from .models import AuditEvent
from .selectors import audit_events

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
    if not can_read_audit_log(request.auth):
        raise PermissionDeniedError("仅区安委办管理员可查看审计记录")
    qs = audit_events(request.auth, action=action, actor_id=actor_id, object_type=object_type, object_id=object_id)
    items, next_cursor = paginate_by_id(qs, cursor=cursor, limit=limit, descending=True)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/audit/{event_id}", response=AuditEventOut, summary="审计记录详情")
def audit_detail(request, event_id: Id):
    return get_scoped_or_404(AuditEvent, request.auth, "view", pk=event_id)
