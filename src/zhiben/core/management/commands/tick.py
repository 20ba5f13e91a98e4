"""`zhiben tick`: run every app's ``tick.py`` once (see zhiben.core.tick)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhiben.core.tick import run_all


class Command(BaseCommand):
    help = "发送到期提醒、逾期通知并升级督办（每几分钟运行一次；可重复、可并发运行）"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计将要发送的提醒，不写入")
        parser.add_argument("--app", action="append", dest="apps", help="只运行这些应用（可重复）")

    def handle(self, *args, dry_run=False, apps=None, **options):
        results = run_all(timezone.now(), dry_run=dry_run, only=apps)
        failed = []
        for result in results:
            if result.ok:
                counts = "，".join(f"{k} {v}" for k, v in result.counts.items()) or "无"
                self.stdout.write(f"{result.app}：{counts}（{result.seconds:.2f} 秒）")
            else:
                failed.append(result.app)
                self.stderr.write(f"{result.app}：失败 {result.error}")
        if dry_run:
            self.stdout.write("（演练：未写入任何数据）")
        if failed:
            raise CommandError(f"失败的应用：{'、'.join(failed)}", returncode=1)
