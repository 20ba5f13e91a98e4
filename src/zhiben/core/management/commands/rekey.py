"""`zhiben rekey`: re-encrypt every encrypted column (unit phones, tip reporters'
contacts, webhook secrets) with the first key of ZHIBEN_FIELD_KEYS (key
rotation), or print the key derived from SECRET_KEY (to keep reading values
after SECRET_KEY changes). See zhiben.core.crypto."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from zhiben.core import crypto
from zhiben.core.errors import ServiceError


class Command(BaseCommand):
    help = "用 ZHIBEN_FIELD_KEYS 的第一个密钥重新加密所有加密字段（联系电话、举报人信息、订阅签名密钥；密钥轮换）"

    def add_arguments(self, parser):
        parser.add_argument("--print-derived-key", action="store_true", help="打印由 SECRET_KEY 派生的密钥")

    def handle(self, *args, **options):
        if options["print_derived_key"]:
            self.stdout.write(crypto.derived_key().decode())
            return
        try:
            counts = crypto.rekey()
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        for label, changed in counts.items():
            model = apps.get_model(label)
            self.stdout.write(f"{model._meta.verbose_name}：{changed} 条")
        self.stdout.write(self.style.SUCCESS(f"已用主密钥重新加密 {sum(counts.values())} 条记录。"))
