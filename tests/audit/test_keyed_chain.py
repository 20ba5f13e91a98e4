"""The chain is keyed (HMAC-SHA256 with ZHIBEN_AUDIT_KEY): whoever can write
the database but lacks the key cannot rewrite it; checkpoints kept outside
the database prove later that the chain still holds what it held."""

from __future__ import annotations

import hashlib
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhiben.audit.models import AuditChainHead, AuditEvent
from zhiben.audit.services import audit_record, canonical_payload, parse_checkpoint, verify_chain

pytestmark = pytest.mark.django_db

AUDIT_KEY = "a-test-audit-key-0123456789-abcdefghijklmnop"


@pytest.fixture(autouse=True)
def audit_key(settings):
    """One key from the first row on (the fixtures below write rows too)."""
    settings.ZHIBEN_AUDIT_KEY = AUDIT_KEY


@pytest.fixture
def chain(users):
    for i in range(5):
        audit_record(action="test.event", actor=users["admin"], object_type="test", object_id=str(i), after={"n": i})
    return list(AuditEvent.objects.order_by("id"))


def _raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _rewrite_with(hash_function, from_position: int) -> None:
    """What an attacker with database access does: edit a row, recompute the
    hash of it and every later row with ``hash_function``, and the head."""
    prev = AuditEvent.objects.get(pk=from_position - 1).hash if from_position > 1 else "0" * 64
    for event in AuditEvent.objects.filter(id__gte=from_position).order_by("id"):
        event.prev_hash = prev
        event.hash = hash_function(canonical_payload(event))
        _raw("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [prev, event.hash, event.pk])
        prev = event.hash
    last = AuditEvent.objects.order_by("-id").first()
    AuditChainHead.objects.filter(pk=1).update(last_id=last.pk, last_hash=last.hash)


def test_hashes_are_keyed(chain):
    event = chain[0]
    assert event.hash != hashlib.sha256(canonical_payload(event)).hexdigest()
    assert next(verify_chain(), None) is None


def test_a_chain_recomputed_with_the_plain_hash_fails(chain):
    target = chain[2]
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["抹掉的原因", target.pk])
    _rewrite_with(lambda data: hashlib.sha256(data).hexdigest(), target.pk)
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert f"id={target.pk}" in str(exc.value)
    assert "ZHIBEN_AUDIT_KEY" in str(exc.value)


def test_verify_with_the_wrong_key_fails(chain, settings):
    settings.ZHIBEN_AUDIT_KEY = "another-key-0123456789-abcdefghijklmnopqrs"
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert "id=1" in str(exc.value)
    settings.ZHIBEN_AUDIT_KEY = AUDIT_KEY
    call_command("audit", "verify")


def test_checkpoint_round_trip(chain, users, capsys):
    call_command("audit", "checkpoint")
    out = capsys.readouterr().out
    assert "请保存在数据库以外" in out
    value = next(line for line in out.splitlines() if line.startswith("zbcp1."))
    checkpoint = parse_checkpoint(value)
    assert checkpoint.position == len(chain) and checkpoint.hash == chain[-1].hash
    for i in range(3):
        audit_record(action="test.later", actor=users["admin"], object_type="test", object_id=str(i))
    call_command("audit", "verify", "--checkpoint", value)
    out = capsys.readouterr().out
    assert "审计链完整" in out
    assert f"检查点（第 {len(chain)} 条）仍在链中；其后新增 3 条记录" in out
    call_command("audit", "checkpoint", "--value-only")
    assert capsys.readouterr().out.strip().startswith(f"zbcp1.{len(chain) + 3}.")


def test_checkpoint_catches_a_rewrite_by_someone_holding_the_key(chain, capsys):
    """Even with the key, rewriting rows before a checkpoint is detected."""
    from zhiben.audit.services import compute_hash

    call_command("audit", "checkpoint", "--value-only")
    value = capsys.readouterr().out.strip()
    target = chain[1]
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["改写", target.pk])
    key = AUDIT_KEY.encode()
    prev = chain[0].hash
    for event in AuditEvent.objects.filter(id__gte=target.pk).order_by("id"):
        event.prev_hash = prev
        event.hash = compute_hash(event, key)
        _raw("UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s", [prev, event.hash, event.pk])
        prev = event.hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=prev)
    call_command("audit", "verify")  # without the checkpoint the forgery passes
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", "--checkpoint", value)
    assert f"id={len(chain)}" in str(exc.value) and "检查点" in str(exc.value)


def test_checkpoint_catches_a_deleted_tail(chain, capsys):
    call_command("audit", "checkpoint", "--value-only")
    value = capsys.readouterr().out.strip()
    _raw("DELETE FROM audit_auditevent WHERE id >= %s", [chain[3].pk])
    AuditChainHead.objects.filter(pk=1).update(last_id=chain[2].pk, last_hash=chain[2].hash)
    call_command("audit", "verify")  # a consistent shorter chain...
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", "--checkpoint", value)  # ...is shorter than the checkpoint
    assert "比检查点短" in str(exc.value)


@pytest.mark.parametrize(
    "value",
    ["", "nonsense", "zbcp1.5.abc.def", "zbcp1.x." + "0" * 64 + ".00"],
)
def test_malformed_checkpoint_is_refused_with_a_message(chain, value):
    if not value:
        call_command("audit", "verify", "--checkpoint", value)  # empty: no checkpoint given
        return
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", "--checkpoint", value)
    assert "检查点格式不正确" in str(exc.value)


def test_checkpoint_signed_with_another_key_is_refused(chain, settings, capsys):
    call_command("audit", "checkpoint", "--value-only")
    value = capsys.readouterr().out.strip()
    position, chain_hash = value.split(".")[1:3]
    forged = f"zbcp1.{int(position) - 1}.{chain[-2].hash}.{value.split('.')[3]}"
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", "--checkpoint", forged)
    assert "签名不符" in str(exc.value)
    settings.ZHIBEN_AUDIT_KEY = "another-key-0123456789-abcdefghijklmnopqrs"
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--checkpoint", value)
    assert chain_hash == chain[-1].hash


# --- The migration that keyed existing chains -----------------------------------------------------


class _Editor:
    connection = connection


def _make_legacy(chain) -> None:
    """Turn the chain into what the plain-SHA-256 code wrote."""
    _rewrite_with(lambda data: hashlib.sha256(data).hexdigest(), chain[0].pk)


def test_migration_keys_an_intact_legacy_chain(chain):
    _make_legacy(chain)
    assert next(verify_chain(), None) is not None
    migration = import_module("zhiben.audit.migrations.0003_keyed_chain")
    migration.key_the_chain(apps, _Editor())
    assert next(verify_chain(), None) is None
    marker = AuditEvent.objects.order_by("-id").first()
    assert marker.action == "audit.chain_keyed"
    assert marker.after == {"rows": len(chain), "legacy_chain_intact": True, "legacy_problem": None}
    assert AuditEvent.objects.get(pk=chain[2].pk).after == chain[2].after


def test_migration_refuses_to_launder_a_tampered_legacy_chain(chain, monkeypatch):
    _make_legacy(chain)
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["改过", chain[2].pk])
    migration = import_module("zhiben.audit.migrations.0003_keyed_chain")
    with pytest.raises(RuntimeError) as exc:
        migration.key_the_chain(apps, _Editor())
    assert f"第 {chain[2].pk} 条" in str(exc.value)
    monkeypatch.setenv("ZHIBEN_AUDIT_REKEY_BROKEN", "1")
    migration.key_the_chain(apps, _Editor())
    marker = AuditEvent.objects.order_by("-id").first()
    assert marker.after["legacy_chain_intact"] is False and f"第 {chain[2].pk} 条" in marker.after["legacy_problem"]
    assert next(verify_chain(), None) is None
