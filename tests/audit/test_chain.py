"""The audit trail is append-only and tamper-evident."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from zhiben.audit.models import AppendOnlyError, AuditEvent
from zhiben.audit.services import audit_record, verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(users):
    for i in range(5):
        audit_record(
            action="test.event",
            actor=users["admin"],
            object_type="test",
            object_id=str(i),
            before={"n": i},
            after={"n": i + 1},
            reason=f"第{i}次",
        )
    return list(AuditEvent.objects.filter(action="test.event").order_by("id"))


def _raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _verify_fails_naming(event_id: int):
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify")
    assert f"id={event_id}" in str(exc.value)


def test_intact_chain_verifies(chain, capsys):
    call_command("audit", "verify")
    assert "审计链完整" in capsys.readouterr().out
    assert next(verify_chain(), None) is None


def test_edited_field_is_detected(chain):
    target = chain[3]
    _raw("UPDATE audit_auditevent SET reason = %s WHERE id = %s", ["改过的原因", target.pk])
    _verify_fails_naming(target.pk)


def test_edited_json_is_detected(chain):
    target = chain[2]
    _raw("UPDATE audit_auditevent SET after = %s WHERE id = %s", ['{"n": 999}', target.pk])
    _verify_fails_naming(target.pk)


def test_deleted_row_is_detected(chain):
    target = chain[2]
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    _verify_fails_naming(target.pk)


def test_deleted_last_row_is_detected(chain):
    target = chain[-1]
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    _verify_fails_naming(target.pk)


def test_swapped_rows_are_detected(chain):
    a, b = chain[1], chain[3]
    _raw("UPDATE audit_auditevent SET id = %s WHERE id = %s", [-1, a.pk])
    _raw("UPDATE audit_auditevent SET id = %s WHERE id = %s", [a.pk, b.pk])
    _raw("UPDATE audit_auditevent SET id = %s WHERE id = %s", [b.pk, -1])
    _verify_fails_naming(a.pk)


def test_rows_cannot_be_changed_or_deleted_through_the_app(chain):
    event = chain[0]
    event.reason = "x"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == "第0次"


def test_events_carry_who_what_when_where(chain, users):
    event = chain[0]
    assert event.actor_id == users["admin"].pk
    assert event.actor_name == "t_admin"
    assert event.before == {"n": 0} and event.after == {"n": 1}
    assert event.request_id
    assert event.prev_hash == "0" * 64 or AuditEvent.objects.filter(pk=event.pk - 1).exists()


def test_request_id_and_ip_come_from_the_request(users, login):
    client = login(users["admin"])
    response = client.post(
        f"/api/v1/users/{users['officer'].pk}/active",
        data={"active": False, "reason": "调离"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-abcdef123456",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.filter(action="user.disable").get()
    assert event.request_id == "req-abcdef123456"
    assert event.client_ip == "10.1.2.3"
    assert event.reason == "调离"
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert response["X-Request-ID"] == "req-abcdef123456"
