"""`zhiben plan …`: the plan documents from the command line.

zhiben plan parse FILE [--json | --text]     print the parser's result (JSON, default) or a Chinese summary
zhiben plan import FILE [--owner CODE] [--actor USERNAME] [--yes]
                                             import a plan; a revised version is only applied with --yes
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from zhiben.core.errors import ServiceError
from zhiben.org.models import Organization, User
from zhiben.plans import services
from zhiben.plans.parsing import PlanParseError, parse_plan_file

PERIODS = {
    "week": "每周",
    "month": "每月",
    "quarter": "每季度",
    "half_year": "每半年",
    "year": "每年",
    "holiday": "逢节假日",
}


def summary_text(data: dict) -> str:
    """A readable Chinese summary of a parsed plan."""
    period = data.get("period") or {}
    tasks = data.get("tasks") or []
    lines = [
        f"方案：{data.get('title') or '（无标题）'}",
        f"期限：{period.get('start', '?')} 至 {period.get('end', '?')}",
        f"任务 {len(tasks)} 项，节点 {sum(len(t.get('deadlines') or []) for t in tasks)} 个，"
        f"常态化任务 {sum(len(t.get('recurring') or []) for t in tasks) + len(data.get('recurring') or [])} 项，"
        f"指标 {sum(len(t.get('targets') or []) for t in tasks)} 个",
    ]
    group = data.get("leading_group") or {}
    if group.get("name"):
        lines.append(f"领导小组：{group['name']}（办公室：{group.get('office') or '—'}）")
    for duty in data.get("recurring") or []:
        lines.append(f"  全局常态化任务：{PERIODS.get(duty.get('period'), duty.get('period'))} {duty.get('text', '')}")
    section = None
    for task in tasks:
        if task.get("section") != section:
            section = task.get("section")
            lines.append(section or "")
        lead = "、".join(task.get("lead_units") or []) or "（方案牵头部门）"
        part = "、".join(task.get("participating_units") or [])
        lines.append(
            f"  {task.get('number', '')}. {task.get('title', '')}  牵头：{lead}" + (f"  参与：{part}" if part else "")
        )
        for d in task.get("deadlines") or []:
            lines.append(f"      {d.get('date')}  {d.get('text', '')[:60]}")
    lines.append(f"文档哈希：{(data.get('source') or {}).get('sha256', '')}")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "行动方案：parse（解析并输出）、import（导入任务清单）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        parse = sub.add_parser("parse", help="解析方案文件（.txt / .docx）")
        parse.add_argument("file")
        fmt = parse.add_mutually_exclusive_group()
        fmt.add_argument("--json", dest="fmt", action="store_const", const="json", help="输出 JSON（默认）")
        fmt.add_argument("--text", dest="fmt", action="store_const", const="text", help="输出中文摘要")
        parse.set_defaults(fmt="json")
        imp = sub.add_parser("import", help="导入方案（相同文档重复导入不做更改）")
        imp.add_argument("file")
        imp.add_argument("--owner", help="牵头部门编码（标题无法确定行业时必填），如 hk-swj")
        imp.add_argument("--actor", help="以哪个账号导入（默认：系统）")
        imp.add_argument("--yes", action="store_true", help="修订版：不经确认直接更新")

    def _parse(self, path: str) -> dict:
        try:
            return parse_plan_file(path)
        except FileNotFoundError as exc:
            raise CommandError(f"找不到文件：{path}") from exc
        except IsADirectoryError as exc:
            raise CommandError(f"不是文件：{path}") from exc
        except PlanParseError as exc:
            raise CommandError(f"无法解析方案“{path}”：{exc}") from exc

    def handle(self, *args, subcommand: str, **options):
        data = self._parse(options["file"])
        if subcommand == "parse":
            if options["fmt"] == "text":
                self.stdout.write(summary_text(data))
            else:
                self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        owner = None
        if options.get("owner"):
            owner = Organization.objects.filter(code=options["owner"]).first()
            if owner is None:
                raise CommandError(f"没有编码为 {options['owner']} 的组织")
        actor = None
        if options.get("actor"):
            actor = User.objects.filter(username=options["actor"], is_active=True).first()
            if actor is None:
                raise CommandError(f"没有账号 {options['actor']}")
        try:
            outcome = services.plan_import(
                actor=actor,
                data=data,
                source_name=options["file"].rsplit("/", 1)[-1],
                owner=owner,
                apply_revision=options["yes"],
            )
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{outcome.plan.title}：{outcome.message}")
        if outcome.kind == "revision":
            for key, label in (("added", "新增"), ("removed", "删去"), ("changed", "变化")):
                for item in outcome.pending.diff.get(key) or []:
                    self.stdout.write(
                        f"  {label} {item.get('section', '')} {item.get('number', '')} {item.get('title', '')}"
                    )
            self.stdout.write("未更新：确认后请加 --yes 重新执行，或在网页“行动方案”中确认。")
