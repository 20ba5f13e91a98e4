"""`zhiben registry_rekey`: re-encrypt the stored phone numbers with the first
key of ZHIBEN_FIELD_KEYS (key rotation), or print the key derived from
SECRET_KEY (to keep reading values after SECRET_KEY changes)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhiben.audit.services import audit_record
from zhiben.registry import crypto
from zhiben.registry.models import Unit
from zhiben.registry.services import PHONE_FIELDS


class Command(BaseCommand):
    help = "用 ZHIBEN_FIELD_KEYS 的第一个密钥重新加密单位联系电话（密钥轮换）"

    def add_arguments(self, parser):
        parser.add_argument("--print-derived-key", action="store_true", help="打印由 SECRET_KEY 派生的密钥")

    def handle(self, *args, **options):
        if options["print_derived_key"]:
            self.stdout.write(crypto.derived_key().decode())
            return
        changed = 0
        with transaction.atomic():
            rows = Unit.objects.select_for_update().values_list("pk", *PHONE_FIELDS)
            # values_list decrypts (from_db_value); update() encrypts with the primary key.
            for pk, *values in rows:
                if crypto.UNREADABLE in values:
                    raise CommandError(f"单位 {pk} 的电话无法用现有密钥解密，请把旧密钥加入 ZHIBEN_FIELD_KEYS 后重试")
                Unit.objects.filter(pk=pk).update(**dict(zip(PHONE_FIELDS, values, strict=True)))
                changed += 1
            audit_record(action="registry.rekey", object_type="registry.unit", after={"units": changed})
        self.stdout.write(self.style.SUCCESS(f"已重新加密 {changed} 家单位的联系电话。"))
