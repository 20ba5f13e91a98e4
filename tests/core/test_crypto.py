"""Field encryption (zhiben.core.crypto): round trip, random IVs, key rotation,
keys from settings or derived from SECRET_KEY; ``zhiben rekey`` over every
encrypted column; webhook secrets encrypted at rest, by the model and by the
migration that encrypted the existing ones."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from zhiben.audit.models import AuditEvent
from zhiben.core import crypto
from zhiben.delivery import services as delivery_services
from zhiben.delivery import webhooks
from zhiben.delivery.models import Subscription
from zhiben.registry.models import Unit


def _subscribe(users, settings):
    settings.ZHIBEN_WEBHOOK_ALLOW_PRIVATE = True  # no name resolution in tests
    return delivery_services.create_subscription(
        actor=users["admin"], name="城运平台", url="http://127.0.0.1:9/hook", event_types=["hazard.confirmed"]
    )


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_round_trip_and_random_iv():
    a, b = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert a != b and a.startswith("fernet:") and "13812345678" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "13812345678"
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""
    assert crypto.is_encrypted(a) and not crypto.is_encrypted("whsec_abc") and not crypto.is_encrypted("")


def test_keys_from_setting_and_rotation(settings):
    old_token = crypto.encrypt("021-65551234")  # derived from SECRET_KEY
    new_key = Fernet.generate_key().decode()
    settings.ZHIBEN_FIELD_KEYS = f"{new_key},{crypto.derived_key().decode()}"
    assert crypto.decrypt(old_token) == "021-65551234"  # old key still decrypts
    rotated = crypto.rotate(old_token)
    settings.ZHIBEN_FIELD_KEYS = new_key
    assert crypto.decrypt(rotated) == "021-65551234"
    with pytest.raises(InvalidToken):
        crypto.decrypt(old_token)


def test_secret_key_change_without_keys_makes_values_unreadable(settings):
    token = crypto.encrypt("13800000000")
    settings.SECRET_KEY = "another-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)


def test_derived_key_is_unchanged_by_the_move_to_core():
    # The HKDF info string is part of the key: values written before the move must stay readable.
    assert crypto.HKDF_INFO == b"zhiben.registry.field-encryption.v1"


def test_field_deconstructs_blank_explicitly():
    field = Subscription._meta.get_field("secret")
    assert field.blank is False
    _, path, _, kwargs = field.deconstruct()
    assert path == "zhiben.core.crypto.EncryptedCharField"
    assert kwargs["blank"] is False and kwargs["plain_max_length"] == 100
    rebuilt = crypto.EncryptedCharField(**kwargs)
    assert rebuilt.blank is False  # not the field's own default (True)


def test_every_encrypted_column_is_found():
    found = {model._meta.label_lower: names for model, names in crypto.encrypted_fields()}
    assert found == {
        "registry.unit": ["legal_rep_phone", "safety_contact_phone"],
        "tips.tip": ["reporter_name", "reporter_phone"],
        "delivery.subscription": ["secret"],
        "transport.driver": ["id_number", "phone"],
    }


@pytest.mark.django_db
def test_webhook_secret_is_encrypted_at_rest_and_still_signs(users, settings):
    sub, secret = _subscribe(users, settings)
    stored = _raw("delivery_subscription", "secret", sub.pk)
    assert stored.startswith("fernet:") and secret not in stored
    loaded = Subscription.objects.get(pk=sub.pk)
    assert loaded.secret == secret
    body = b'{"event": "ping"}'
    assert webhooks.verify(secret, "1700000000", body, webhooks.sign(loaded.secret, "1700000000", body))
    rotated = delivery_services.rotate_secret(actor=users["admin"], subscription=loaded)
    stored = _raw("delivery_subscription", "secret", sub.pk)
    assert rotated != secret and rotated not in stored and Subscription.objects.get(pk=sub.pk).secret == rotated


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["rekey", "registry_rekey"])  # the old name still works
def test_rekey_command_covers_every_encrypted_column(command, units, users, settings):
    unit = units["commerce"]
    unit.legal_rep_phone = "13811112222"
    unit.save()
    sub, secret = _subscribe(users, settings)
    new_key = Fernet.generate_key().decode()
    settings.ZHIBEN_FIELD_KEYS = f"{new_key},{crypto.derived_key().decode()}"
    out = io.StringIO()
    call_command(command, stdout=out)
    assert "已用主密钥重新加密" in out.getvalue()
    settings.ZHIBEN_FIELD_KEYS = new_key  # the old key dropped
    assert Unit.objects.get(pk=unit.pk).legal_rep_phone == "13811112222"
    assert Subscription.objects.get(pk=sub.pk).secret == secret
    assert "13811112222" not in _raw("registry_unit", "legal_rep_phone", unit.pk)
    assert secret not in _raw("delivery_subscription", "secret", sub.pk)
    event = AuditEvent.objects.get(action="registry.rekey")
    assert event.after["registry.unit"] == Unit.objects.count()
    assert event.after["delivery.subscription"] == 1 and event.after["tips.tip"] == 0


@pytest.mark.django_db
def test_rekey_stops_on_an_unreadable_value_and_changes_nothing(units, users, settings):
    sub, _secret = _subscribe(users, settings)
    unit = units["commerce"]
    unit.legal_rep_phone = "13811112222"
    unit.save()
    before = _raw("registry_unit", "legal_rep_phone", unit.pk)
    settings.ZHIBEN_FIELD_KEYS = Fernet.generate_key().decode()  # the key that wrote them is gone
    assert Subscription.objects.get(pk=sub.pk).secret == crypto.UNREADABLE
    with pytest.raises(CommandError, match="无法用现有密钥解密"):
        call_command("rekey", stdout=io.StringIO())
    assert _raw("registry_unit", "legal_rep_phone", unit.pk) == before
    assert not AuditEvent.objects.filter(action="registry.rekey").exists()


def test_print_derived_key():
    out = io.StringIO()
    call_command("rekey", "--print-derived-key", stdout=out)
    assert out.getvalue().strip() == crypto.derived_key().decode()


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_existing_secrets_and_reverses():
    executor = MigrationExecutor(connection)
    before, after = [("delivery", "0001_initial")], [("delivery", "0002_encrypt_subscription_secret")]
    executor.migrate(before)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO delivery_subscription (name, url, secret, event_types, is_active, state,"
                " consecutive_failures, created_at, updated_at)"
                " VALUES ('城运', 'https://example.com/h', 'whsec_plain', '[]', %s, 'active', 0, %s, %s)",
                [True, "2026-12-01 08:00:00+00:00", "2026-12-01 08:00:00+00:00"],
            )
            cursor.execute("SELECT id FROM delivery_subscription WHERE name = '城运'")
            pk = cursor.fetchone()[0]
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        stored = _raw("delivery_subscription", "secret", pk)
        assert stored.startswith("fernet:") and "whsec_plain" not in stored
        assert crypto.decrypt(stored) == "whsec_plain"
        executor = MigrationExecutor(connection)
        executor.migrate(before)
        assert _raw("delivery_subscription", "secret", pk) == "whsec_plain"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM delivery_subscription")
