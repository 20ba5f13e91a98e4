"""Key the audit chain: recompute every existing row's hash as HMAC-SHA256
with the audit key (``ZHIBEN_AUDIT_KEY``, else derived from SECRET_KEY), then
append one ``audit.chain_keyed`` row that says so.

Before anything is rewritten, the existing chain is verified the old way
(plain SHA-256). If it is broken, the migration stops and names the row, so
re-keying never launders a tampered chain; an operator who has investigated
may set ``ZHIBEN_AUDIT_REKEY_BROKEN=1`` to re-key anyway, and the appended row
then records the problem that was found.

The canonical payload below is frozen as it was when the chain was keyed.
Nothing to undo (the reverse is a no-op: the old hashes cannot be restored).
"""

import datetime as dt
import hashlib
import hmac
import json
import os

from django.db import migrations
from django.utils import timezone

GENESIS_HASH = "0" * 64
BATCH = 2000


def _payload(event) -> bytes:
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
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _batches(Event):
    start = 0
    while True:
        batch = list(Event.objects.order_by("id").filter(id__gt=start)[:BATCH])
        if not batch:
            return
        yield batch
        start = batch[-1].pk


def _legacy_problem(Event, Head, key: bytes) -> str:
    """The first broken link of the chain as it is (plain SHA-256; rows
    written by the keyed code during this same migrate are accepted too)."""
    expected_prev, expected_id = GENESIS_HASH, 1
    for batch in _batches(Event):
        for event in batch:
            if event.pk != expected_id:
                return f"第 {expected_id} 条审计记录缺失"
            if event.prev_hash != expected_prev:
                return f"第 {event.pk} 条审计记录的前序哈希与上一条不符"
            data = _payload(event)
            plain = hashlib.sha256(data).hexdigest()
            keyed = hmac.new(key, data, hashlib.sha256).hexdigest()
            if event.hash not in (plain, keyed):
                return f"第 {event.pk} 条审计记录内容与其哈希不符"
            expected_prev, expected_id = event.hash, expected_id + 1
    head = Head.objects.filter(pk=1).first()
    if head is not None and (head.last_id != expected_id - 1 or head.last_hash != expected_prev):
        return f"审计链末尾不完整：链头记录到第 {head.last_id} 条，实际最后一条为第 {expected_id - 1} 条"
    return ""


def key_the_chain(apps, schema_editor):
    from zhiben.audit.keys import audit_key

    Event = apps.get_model("audit", "AuditEvent")
    Head = apps.get_model("audit", "AuditChainHead")
    if not Event.objects.exists():
        return
    key = audit_key()
    problem = _legacy_problem(Event, Head, key)
    if problem and os.environ.get("ZHIBEN_AUDIT_REKEY_BROKEN") != "1":
        raise RuntimeError(
            f"审计链在改用密钥哈希前校验失败：{problem}。请先调查；确认后可设置 ZHIBEN_AUDIT_REKEY_BROKEN=1 "
            "重新运行迁移，新追加的记录会写明此问题。"
        )
    table = Event._meta.db_table
    prev, count = GENESIS_HASH, 0
    with schema_editor.connection.cursor() as cursor:
        for batch in _batches(Event):
            rows = []
            for event in batch:
                event.prev_hash = prev
                event.hash = hmac.new(key, _payload(event), hashlib.sha256).hexdigest()
                rows.append((event.prev_hash, event.hash, event.pk))
                prev = event.hash
                count = event.pk
            cursor.executemany(f"UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s", rows)
    marker = Event(
        id=count + 1,
        created_at=timezone.now(),
        actor_id=None,
        actor_name="",
        action="audit.chain_keyed",
        object_type="",
        object_id="",
        object_repr="",
        before=None,
        after={"rows": count, "legacy_chain_intact": not problem, "legacy_problem": problem or None},
        reason="审计链改用 HMAC-SHA256（密钥 ZHIBEN_AUDIT_KEY）",
        request_id="migration",
        client_ip=None,
        prev_hash=prev,
    )
    marker.hash = hmac.new(key, _payload(marker), hashlib.sha256).hexdigest()
    marker.save(force_insert=True)
    Head.objects.update_or_create(pk=1, defaults={"last_id": marker.pk, "last_hash": marker.hash})


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_initial")]

    operations = [migrations.RunPython(key_the_chain, migrations.RunPython.noop)]
