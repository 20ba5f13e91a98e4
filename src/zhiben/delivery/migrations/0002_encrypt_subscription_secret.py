"""Encrypt the webhook signing secrets at rest.

The column becomes ``EncryptedCharField`` (text holding ``fernet:<token>``, keys
from ``ZHIBEN_FIELD_KEYS`` or derived from SECRET_KEY, see zhiben.core.crypto),
then every existing secret is read raw and written back encrypted.

Reversible: going back decrypts every secret in place (a value no configured
key opens stops the reverse, naming the subscription) before the column is a
``varchar(100)`` again.
"""

from django.db import migrations

import zhiben.core.crypto
from zhiben.core.crypto import decrypt, encrypt, is_encrypted


def _rows(schema_editor, Subscription):
    quote = schema_editor.quote_name
    table, column = quote(Subscription._meta.db_table), quote("secret")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table} ORDER BY id")
        rows = cursor.fetchall()
    return rows, f"UPDATE {table} SET {column} = %s WHERE id = %s"


def encrypt_secrets(apps, schema_editor):
    rows, update = _rows(schema_editor, apps.get_model("delivery", "Subscription"))
    with schema_editor.connection.cursor() as cursor:
        for pk, raw in rows:
            if raw and not is_encrypted(raw):
                cursor.execute(update, [encrypt(raw), pk])


def decrypt_secrets(apps, schema_editor):
    from cryptography.fernet import InvalidToken

    rows, update = _rows(schema_editor, apps.get_model("delivery", "Subscription"))
    with schema_editor.connection.cursor() as cursor:
        for pk, raw in rows:
            if not is_encrypted(raw):
                continue
            try:
                plain = decrypt(raw)
            except InvalidToken as exc:
                raise RuntimeError(
                    f"Subscription {pk}: no key of ZHIBEN_FIELD_KEYS opens its secret; cannot migrate back"
                ) from exc
            cursor.execute(update, [plain, pk])


class Migration(migrations.Migration):

    dependencies = [
        ('delivery', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='subscription',
            name='secret',
            field=zhiben.core.crypto.EncryptedCharField(blank=False, default='', plain_max_length=100, verbose_name='签名密钥'),
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets),
    ]
