"""zhiben imports recover — fail the import jobs whose worker is gone (its
writes undone, its file deleted) and the export jobs whose worker is gone (its
partial file deleted); safe to run at any time, on any node."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from zhiben.imports.exports import recover_abandoned_exports
from zhiben.imports.runner import recover_abandoned_jobs


class Command(BaseCommand):
    help = "导入导出任务：recover = 处理进程已中止的导入任务（标记失败、撤回已写入的数据、删除上传文件）和导出任务（标记失败、删除未写完的文件）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["recover"])

    def handle(self, *args, **options):
        recovered = recover_abandoned_jobs()
        exports = recover_abandoned_exports()
        self.stdout.write(f"已处理 {recovered} 个中止的导入任务、{exports} 个中止的导出任务")
