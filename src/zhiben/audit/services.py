"""Writing and verifying the audit trail.

``audit_record`` is called by every service function inside its transaction;
the row is written in the same transaction as the change it describes.

Each row's hash is HMAC-SHA256 (key: ``keys.audit_key()``) over a canonical
JSON of all its fields, its position and the previous row's hash. A
*checkpoint* (``make_checkpoint``) is the head's position and hash, signed
with the same key, for an operator to keep outside the database;
``verify_chain(checkpoint=...)`` then also proves the chain still holds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from zhiben.core import context

from .keys import audit_key
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


def canonical_payload(event: AuditEvent) -> bytes:
    """The bytes the hash covers: every field, the position and the link."""
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
    return canonical.encode("utf-8")


def compute_hash(event: AuditEvent, key: bytes | None = None) -> str:
    """HMAC-SHA256 of the row with the chain key."""
    return hmac.new(key if key is not None else audit_key(), canonical_payload(event), hashlib.sha256).hexdigest()


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


CHECKPOINT_PREFIX = "zbcp1"
_CHECKPOINT_DOMAIN = "zhiben.audit.checkpoint.v1"


@dataclass(frozen=True)
class Checkpoint:
    """A position in the chain and the hash of the row there, signed with
    the chain key: ``zbcp1.<position>.<hash>.<signature>``."""

    position: int
    hash: str

    def signature(self, key: bytes | None = None) -> str:
        message = f"{_CHECKPOINT_DOMAIN}|{self.position}|{self.hash}".encode("ascii")
        return hmac.new(key if key is not None else audit_key(), message, hashlib.sha256).hexdigest()[:32]

    def __str__(self) -> str:
        return f"{CHECKPOINT_PREFIX}.{self.position}.{self.hash}.{self.signature()}"


class InvalidCheckpoint(ValueError):
    """A checkpoint string that is malformed or not signed with the chain key."""


def make_checkpoint() -> Checkpoint:
    """The checkpoint of the chain's head (verify the chain before handing it out)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return Checkpoint(0, GENESIS_HASH)
    return Checkpoint(head.last_id, head.last_hash)


def parse_checkpoint(value: str) -> Checkpoint:
    parts = (value or "").strip().split(".")
    if len(parts) != 4 or parts[0] != CHECKPOINT_PREFIX or not parts[1].isdigit():
        raise InvalidCheckpoint("检查点格式不正确（应为 zbcp1.<序号>.<哈希>.<签名>）")
    _, position, chain_hash, signature = parts
    if len(chain_hash) != 64 or any(c not in "0123456789abcdef" for c in chain_hash):
        raise InvalidCheckpoint("检查点格式不正确（哈希应为64位十六进制）")
    checkpoint = Checkpoint(int(position), chain_hash)
    if not hmac.compare_digest(checkpoint.signature(), signature):
        raise InvalidCheckpoint("检查点签名不符：它不是用当前审计密钥（ZHIBEN_AUDIT_KEY）生成的，或抄录有误")
    return checkpoint


def verify_chain(batch_size: int = 2000, checkpoint: Checkpoint | None = None) -> Iterator[ChainProblem]:
    """Walk the chain in order; yield the problems found (the first one is
    the first broken link). Empty iterator means the chain is intact (and,
    with ``checkpoint``, still holds the row the checkpoint names)."""
    key = audit_key()
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
            if not hmac.compare_digest(compute_hash(event, key), event.hash):
                yield ChainProblem(
                    event.pk,
                    f"第 {event.pk} 条审计记录内容与其哈希不符（记录被篡改，或审计密钥 ZHIBEN_AUDIT_KEY 与写入时不同）",
                )
                return
            if checkpoint is not None and event.pk == checkpoint.position and event.hash != checkpoint.hash:
                yield ChainProblem(event.pk, f"第 {event.pk} 条审计记录与检查点不符（检查点之前的记录被改写）")
                return
            expected_prev = event.hash
            expected_id += 1
            last_seen = event.pk
        start = batch[-1].pk
    if checkpoint is not None and checkpoint.position > last_seen:
        yield ChainProblem(
            last_seen + 1,
            f"审计链比检查点短：检查点记录到第 {checkpoint.position} 条，链中只有 {last_seen} 条（末尾记录被删除）",
        )
        return
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_id != last_seen or head.last_hash != expected_prev):
        yield ChainProblem(
            last_seen + 1 if head.last_id > last_seen else head.last_id,
            f"审计链末尾不完整：链头记录到第 {head.last_id} 条，实际最后一条为第 {last_seen} 条",
        )
