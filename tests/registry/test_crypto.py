"""Phone masking, and the registry's phone numbers encrypted at rest and
re-encrypted by ``zhiben registry_rekey`` (the former name of ``zhiben rekey``;
the encryption itself is tested in tests/core/test_crypto.py)."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from zhiben.core import crypto as core_crypto
from zhiben.registry import crypto
from zhiben.registry.models import Unit


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
    settings.ZHIBEN_FIELD_KEYS = f"{new_key},{core_crypto.derived_key().decode()}"
    call_command("registry_rekey", stdout=io.StringIO())
    settings.ZHIBEN_FIELD_KEYS = new_key
    assert Unit.objects.get(pk=unit.pk).legal_rep_phone == "13811112222"
    with connection.cursor() as cursor:
        cursor.execute("SELECT legal_rep_phone FROM registry_unit WHERE id = %s", [unit.pk])
        assert "13811112222" not in cursor.fetchone()[0]
