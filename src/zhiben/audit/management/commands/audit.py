"""`zhiben audit verify [--checkpoint <value>]`: walk the keyed hash chain and
report the first broken link; with a checkpoint, also prove the chain still
holds the row it names and count the rows added since.

`zhiben audit checkpoint`: verify the chain, then print its head (position and
hash, signed with the audit key) for the operator to keep outside the database.
"""

from django.core.management.base import BaseCommand, CommandError

from zhiben.audit.models import AuditChainHead
from zhiben.audit.services import InvalidCheckpoint, make_checkpoint, parse_checkpoint, verify_chain


class Command(BaseCommand):
    help = "审计链操作：verify 校验哈希链完整性；checkpoint 输出链头检查点（请保存在数据库以外）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="校验审计哈希链，发现断点时以非零状态退出")
        verify.add_argument(
            "--checkpoint", default="", help="此前用 `zhiben audit checkpoint` 保存的检查点：校验链中仍包含它"
        )
        checkpoint = sub.add_parser("checkpoint", help="校验审计链后输出带签名的链头检查点")
        checkpoint.add_argument("--value-only", action="store_true", help="只输出检查点本身（便于脚本保存）")

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "verify":
            self._verify(options["checkpoint"])
        elif subcommand == "checkpoint":
            self._checkpoint(options["value_only"])

    def _verify(self, raw_checkpoint: str) -> None:
        checkpoint = None
        if raw_checkpoint:
            try:
                checkpoint = parse_checkpoint(raw_checkpoint)
            except InvalidCheckpoint as exc:
                raise CommandError(f"审计链校验失败：{exc}") from exc
        problem = next(verify_chain(checkpoint=checkpoint), None)
        if problem is not None:
            raise CommandError(f"审计链校验失败：{problem.message}（记录 id={problem.event_id}）")
        head = AuditChainHead.objects.filter(pk=1).first()
        count = head.last_id if head is not None else 0
        self.stdout.write(self.style.SUCCESS(f"审计链完整：共 {count} 条记录，哈希逐条校验通过。"))
        if checkpoint is not None:
            self.stdout.write(
                f"检查点（第 {checkpoint.position} 条）仍在链中；其后新增 {count - checkpoint.position} 条记录"
                f"（第 {checkpoint.position + 1}–{count} 条）。"
                if count > checkpoint.position
                else f"检查点（第 {checkpoint.position} 条）仍在链中；其后没有新增记录。"
            )

    def _checkpoint(self, value_only: bool) -> None:
        checkpoint = make_checkpoint()  # the head first, then prove the chain up to (and past) it
        problem = next(verify_chain(checkpoint=checkpoint), None)
        if problem is not None:
            raise CommandError(f"审计链校验失败，不能生成检查点：{problem.message}（记录 id={problem.event_id}）")
        if value_only:
            self.stdout.write(str(checkpoint))
            return
        self.stdout.write(f"审计链完整，链头为第 {checkpoint.position} 条记录。检查点（请保存在数据库以外）：")
        self.stdout.write(str(checkpoint))
        self.stdout.write("日后校验：zhiben audit verify --checkpoint <检查点>")
