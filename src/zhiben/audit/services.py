"""Writing and verifying the audit trail.

``audit_record`` is called by every service function inside its transaction;
the row is written in the same transaction as the change it describes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from zhiben.core import context

from .models import GENESIS_HASH, AuditChainHead, AuditEvent


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def normalize(value: Any) -> Any:
    """Make ``value`` plain JSON (what the JSONField will store and give back)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default, ensure_ascii=False))


def compute_hash(event: AuditEvent) -> str:
    payload = {
        "id": event.pk,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
        "request_id": event.request_id,
        "client_ip": event.client_ip,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _object_identity(obj: models.Model | None) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    return obj._meta.label_lower, str(obj.pk), str(obj)[:200]


def audit_record(
    *,
    action: str,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    actor_name: str = "",
) -> AuditEvent:
    """Append one audit event (inside the caller's transaction)."""
    ctx = context.current()
    otype, oid, orepr = _object_identity(obj)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        actor_id = actor.pk if actor is not None and getattr(actor, "pk", None) else None
        event = AuditEvent(
            id=head.last_id + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_name=(getattr(actor, "username", "") if actor_id else "") or actor_name,
            action=action,
            object_type=object_type or otype,
            object_id=str(object_id or oid),
            object_repr=(object_repr or orepr)[:200],
            before=normalize(before),
            after=normalize(after),
            reason=reason or "",
            request_id=ctx.request_id,
            client_ip=ctx.client_ip,
            prev_hash=head.last_hash,
        )
        event.hash = compute_hash(event)
        event.save()
        AuditChainHead.objects.filter(pk=1).update(last_id=event.pk, last_hash=event.hash)
    return event


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of ``fields`` on ``obj`` (FKs as ids), for before/after."""
    data = {}
    for name in fields:
        field = obj._meta.get_field(name)
        data[name] = getattr(obj, field.attname)
    return normalize(data)


@dataclass(frozen=True)
class ChainProblem:
    event_id: int | None
    message: str


def verify_chain(batch_size: int = 2000) -> Iterator[ChainProblem]:
    """Walk the chain in order; yield the problems found (the first one is
    the first broken link). Empty iterator means the chain is intact."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    last_seen = 0
    qs = AuditEvent.objects.order_by("id")
    start = 0
    while True:
        batch = list(qs.filter(id__gt=start)[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.pk != expected_id:
                yield ChainProblem(expected_id, f"第 {expected_id} 条审计记录缺失（下一条为第 {event.pk} 条）")
                return
            if event.prev_hash != expected_prev:
                yield ChainProblem(
                    event.pk, f"第 {event.pk} 条审计记录的前序哈希与上一条不符（上一条被改动、删除或调换）"
                )
                return
            if compute_hash(event) != event.hash:
                yield ChainProblem(event.pk, f"第 {event.pk} 条审计记录内容与其哈希不符（记录被篡改）")
                return
            expected_prev = event.hash
            expected_id += 1
            last_seen = event.pk
        start = batch[-1].pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_id != last_seen or head.last_hash != expected_prev):
        yield ChainProblem(
            last_seen + 1 if head.last_id > last_seen else head.last_id,
            f"审计链末尾不完整：链头记录到第 {head.last_id} 条，实际最后一条为第 {last_seen} 条",
        )
