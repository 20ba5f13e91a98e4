"""`zhiben registry_rekey`: the former name of `zhiben rekey` (zhiben.core),
kept so existing runbooks keep working. It re-encrypts every encrypted column,
not only the registry's phone numbers."""

from __future__ import annotations

from zhiben.core.management.commands import rekey


class Command(rekey.Command):
    help = "同 zhiben rekey（旧名称）：用 ZHIBEN_FIELD_KEYS 的第一个密钥重新加密所有加密字段"
