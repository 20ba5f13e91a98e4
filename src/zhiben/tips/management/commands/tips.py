"""`zhiben tips …`: operator commands of the tips app.

zhiben tips workflow-doc [--check]     write docs/tips-workflow.md from the workflow table
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhiben.tips import workflow

DOC_PATH = Path("docs") / "tips-workflow.md"


def workflow_doc() -> str:
    return (
        "# 举报处理流程 / Tip workflow\n\n"
        "由 `src/zhiben/tips/workflow.py` 中的流转表生成（`zhiben tips workflow-doc`），请勿手工修改。"
        "谁能看到举报及举报人联系方式：`src/zhiben/tips/access.py`；其余说明见 docs/tips.md。\n\n"
        "```mermaid\n" + workflow.mermaid() + "\n```\n\n" + workflow.markdown_table() + "\n\n"
        "- 承办人员：区安委办，以及举报所分派组织（或其上级）的部门领导、部门经办人、街道经办人。\n"
        "- 移交立即生效（不同于隐患移交，无接收/退回环节），新的承办组织收到通知。\n"
        "- 答复可以修改，答复期限以首次答复为准；举报奖励仅限已受理（形成或关联隐患）的举报，由区安委办或承办部门领导批准。\n"
    )


class Command(BaseCommand):
    help = "举报命令：workflow-doc（生成流程文档）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        doc = sub.add_parser("workflow-doc", help="由流转表生成 docs/tips-workflow.md")
        doc.add_argument("--check", action="store_true", help="只检查文档是否最新")

    def handle(self, *args, subcommand: str, **options):
        path = Path(settings.PROJECT_DIR) / DOC_PATH
        text = workflow_doc()
        if options["check"]:
            if not path.exists() or path.read_text("utf-8") != text:
                raise CommandError(f"{DOC_PATH} 不是最新，请运行 zhiben tips workflow-doc")
            self.stdout.write("流程文档是最新的。")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"已写入 {DOC_PATH}"))
