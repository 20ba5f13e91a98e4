"""`zhiben audit verify`: walk the hash chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from zhiben.audit.models import AuditEvent
from zhiben.audit.services import verify_chain


class Command(BaseCommand):
    help = "审计链操作：verify 校验哈希链完整性"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="校验审计哈希链，发现断点时以非零状态退出")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "verify":
            problem = next(verify_chain(), None)
            if problem is not None:
                raise CommandError(f"审计链校验失败：{problem.message}（记录 id={problem.event_id}）")
            count = AuditEvent.objects.count()
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共 {count} 条记录，哈希逐条校验通过。"))
