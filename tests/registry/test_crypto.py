"""Field encryption: round trip, random IVs, key rotation, keys from settings
or derived from SECRET_KEY, masking."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from zhiben.registry import crypto
from zhiben.registry.models import Unit


def test_round_trip_and_random_iv():
    a, b = crypto.encrypt("13812345678"), crypto.encrypt("13812345678")
    assert a != b and a.startswith("fernet:") and "13812345678" not in a
    assert crypto.decrypt(a) == crypto.decrypt(b) == "13812345678"
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""


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


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("021-65551234", "021****1234"), ("1234567", "*****67"), ("", "")],
)
def test_mask(value, masked):
    assert crypto.mask_phone(value) == masked


@pytest.mark.django_db
def test_rekey_command(units, settings):
    unit = units["commerce"]
    unit.legal_rep_phone = "13811112222"
    unit.save()
    new_key = Fernet.generate_key().decode()
    settings.ZHIBEN_FIELD_KEYS = f"{new_key},{crypto.derived_key().decode()}"
    call_command("registry_rekey", stdout=io.StringIO())
    settings.ZHIBEN_FIELD_KEYS = new_key
    assert Unit.objects.get(pk=unit.pk).legal_rep_phone == "13811112222"
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_phone FROM registry_unit WHERE id = %s", [unit.pk])
        assert "13811112222" not in cursor.fetchone()[0]
