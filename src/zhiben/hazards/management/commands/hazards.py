"""`zhiben hazards …`: operator commands of the hazard ledger.

zhiben hazards workflow-doc            write docs/hazard-workflow.md from the workflow table
zhiben hazards recheck --org hk-swj --from 2025-01-01 --to 2025-06-30 --percent 10 --actor admin
zhiben hazards figures [--as-of 2025-12-31] --actor admin
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhiben.core.errors import ServiceError
from zhiben.hazards import services, workflow
from zhiben.hazards.figures import hazard_figures
from zhiben.org.models import Organization, User

DOC_PATH = Path("docs") / "hazard-workflow.md"


def workflow_doc() -> str:
    return (
        "# 隐患闭环流程 / Hazard workflow\n\n"
        "由 `src/zhiben/hazards/workflow.py` 中的流转表生成（`zhiben hazards workflow-doc`），请勿手工修改。\n\n"
        "```mermaid\n" + workflow.mermaid() + "\n```\n\n" + workflow.markdown_table() + "\n\n"
        "- 整改难度决定由谁验收、提醒谁：易整改由主管部门验收；较难整改在确认时提醒部门领导督促；"
        "难整改由区安委办（区地空联办）牵头并验收，确认时提醒区安委办。\n"
        "- 重大隐患：提交验收前须有完整的治理方案（六项）；验收由主管部门领导或区安委办进行；确认时提醒部门领导和区安委办。\n"
        "- 逾期不落库：整改时限已过且未销号即为逾期（查询时计算）。\n"
        "- 回头看返潮重新打开原隐患（编号不变、历史连续），返潮次数累加并计入统计。\n"
    )


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "隐患台账命令：workflow-doc（生成流程文档）、recheck（回头看抽样）、figures（统计）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        doc = sub.add_parser("workflow-doc", help="由流转表生成 docs/hazard-workflow.md")
        doc.add_argument("--check", action="store_true", help="只检查文档是否最新")
        recheck = sub.add_parser("recheck", help="回头看：随机抽取已销号隐患")
        recheck.add_argument("--org", required=True, help="部门编码，如 hk-swj")
        recheck.add_argument("--from", dest="start", required=True)
        recheck.add_argument("--to", dest="end", required=True)
        recheck.add_argument("--percent", type=int, default=10)
        recheck.add_argument("--seed", default="")
        recheck.add_argument("--actor", required=True, help="发起人账号")
        figures = sub.add_parser("figures", help="隐患统计（JSON）")
        figures.add_argument("--as-of", dest="as_of")
        figures.add_argument("--actor", required=True)

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "workflow-doc":
            path = Path(settings.PROJECT_DIR) / DOC_PATH
            text = workflow_doc()
            if options["check"]:
                if not path.exists() or path.read_text("utf-8") != text:
                    raise CommandError(f"{DOC_PATH} 不是最新，请运行 zhiben hazards workflow-doc")
                self.stdout.write("流程文档是最新的。")
                return
            path.write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"已写入 {DOC_PATH}"))
        elif subcommand == "recheck":
            actor = self._actor(options["actor"])
            org = Organization.objects.filter(code=options["org"]).first()
            if org is None:
                raise CommandError(f"没有编码为 {options['org']} 的组织")
            try:
                batch = services.recheck_draw(
                    actor=actor,
                    organization=org,
                    period_start=_date(options["start"]),
                    period_end=_date(options["end"]),
                    percent=options["percent"],
                    seed=options["seed"],
                )
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            codes = list(batch.items.values_list("hazard__code", flat=True))
            self.stdout.write(
                f"批次 #{batch.pk}：可抽 {batch.population} 条，抽中 {len(codes)} 条（种子 {batch.seed}）"
            )
            for code in codes:
                self.stdout.write(f"  {code}")
        elif subcommand == "figures":
            actor = self._actor(options["actor"])
            as_of = _date(options["as_of"]) if options.get("as_of") else None
            self.stdout.write(json.dumps(hazard_figures(actor, as_of).as_dict(), ensure_ascii=False, indent=2))

    def _actor(self, username: str) -> User:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"账号 {username} 不存在或已停用")
        return user
