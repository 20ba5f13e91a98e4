"""Benchmark the plan parser on a synthetic ~100 KB plan.

The plan is assembled from the six real plans in data/plans: the title,
goals and leading group of the commerce plan, then the main-task sections of
all six plans repeated (with sections and items renumbered, years shifted
and some unit names swapped so that copies differ), the guarantee part of
the civil-defense plan and the ecology plan's task-breakdown table.

``--format docx`` times ``parse_plan_bytes`` on the same plan written as a
.docx with python-docx (paragraphs as paragraphs, the annex table as a Word
table; building the file is not timed).  ``--format html`` times ``parse_plan_bytes`` on the plan wrapped in a web page
(one <p> per line, with a navigation bar); ``--format pdf`` on a PDF made from it
by LibreOffice (``soffice`` needed; the conversion is not timed).

Usage:  .venv/bin/python bench/bench_parser.py [--kb 100] [--runs 15] [--format txt|docx|html|pdf]
"""

from __future__ import annotations

import argparse
import html
import platform
import re
import statistics
import sys
import time
from pathlib import Path

from zhiben.plans.parsing import parse_plan_bytes, parse_plan_text
from zhiben.plans.parsing.numerals import to_chinese

PLANS = Path(__file__).resolve().parents[1] / "data" / "plans"
NAMES = ["commerce", "road-traffic", "construction", "ecology", "economy", "civil-defense"]
SWAPS = [("区公安分局", "区应急局"), ("区建管委", "区房管局"), ("区商务委", "区文旅局"), ("", "")]

_PART = re.compile(r"^[一二三四五六七八九十]+、")
_SECTION = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
_ITEM = re.compile(r"^\d{1,2}[.、．]")


def _part_lines(text: str, heading: str) -> list[str]:
    """Lines of the top-level part whose heading contains ``heading``."""
    lines, inside = [], False
    for line in text.split("\n"):
        if _PART.match(line):
            inside = heading in line
            continue
        if inside and line.strip():
            lines.append(line)
    return lines


def build_plan(target_kb: int) -> str:
    texts = {name: (PLANS / f"{name}.txt").read_text(encoding="utf-8") for name in NAMES}
    head = [
        "虹口区安全生产治本攻坚三年行动综合方案（2024-2026年）",
        "为深入推进安全生产治本攻坚三年行动，结合本区实际，制定本方案。",
        "一、工作目标",
        *_part_lines(texts["commerce"], "总体要求"),
        "二、组织领导",
        *_part_lines(texts["commerce"], "组织领导"),
        "三、主要任务",
    ]
    tail = ["四、保障措施", *_part_lines(texts["civil-defense"], "保障措施")]
    annex = "\n附件：" + texts["ecology"].split("附件：", 1)[1].split("附件2", 1)[0]
    fixed = len(("\n".join(head + tail) + annex).encode("utf-8"))

    body: list[str] = []
    section_no = item_no = 0
    copy = 0

    def size() -> int:
        return fixed + len("\n".join(body).encode("utf-8"))

    while size() < target_kb * 1024:
        old, new = SWAPS[copy % len(SWAPS)]
        shift = copy % 3
        for name in NAMES:
            if size() >= target_kb * 1024:
                break
            for line in _part_lines(texts[name], "主要任务"):
                if old:
                    line = line.replace(old, new)
                line = re.sub(r"20(2[4-6])年", lambda m, shift=shift: f"20{int(m.group(1)) + shift}年", line)
                if _SECTION.match(line):
                    section_no += 1
                    line = _SECTION.sub(f"（{to_chinese(min(section_no, 99))}）", line)
                elif _ITEM.match(line):
                    item_no += 1
                    line = _ITEM.sub(f"{item_no}.", line)
                body.append(line)
        copy += 1
    return "\n".join(head + body + tail) + annex


def _parser_for(fmt: str, text: str):
    if fmt == "txt":
        return lambda: parse_plan_text(text)
    if fmt == "html":
        body = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line.strip())
        page = "<html><head><meta charset='utf-8'></head><body><div class='nav'><a href='/'>首页</a></div>"
        data = (page + f"<div class='content'>{body}</div></body></html>").encode("utf-8")
        return lambda: parse_plan_bytes(data, "plan.html")
    if fmt == "docx":
        data = _docx(text)
        return lambda: parse_plan_bytes(data, "plan.docx")
    from zhiben.core import printing

    pdf = printing.convert_to_pdf(text.encode("utf-8"), ".txt")
    return lambda: parse_plan_bytes(pdf, "plan.pdf")


def _docx(text: str) -> bytes:
    import io

    import docx

    from zhiben.plans.parsing.blocks import Paragraph, blocks_from_text
    from zhiben.plans.parsing.textnorm import normalize_text

    document = docx.Document()
    for block in blocks_from_text(normalize_text(text)):
        if isinstance(block, Paragraph):
            document.add_paragraph(block.text)
            continue
        table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
        for r, row in enumerate(block.rows):
            for c, cell in enumerate(row):
                if cell:
                    table.cell(r, c).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=int, default=100, help="size of the synthetic plan in KB (UTF-8)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--format", choices=["txt", "docx", "html", "pdf"], default="txt", help="input given to the parser"
    )
    args = parser.parse_args()

    text = build_plan(args.kb)
    parse = _parser_for(args.format, text)
    parse()  # warm-up (imports, regex compilation)
    timings = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = parse()
        timings.append(time.perf_counter() - start)

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}; input: {args.format}")
    print(
        f"plan: {len(text.encode('utf-8')) / 1024:.1f} KB UTF-8, {len(text)} chars, "
        f"{len(result['tasks'])} tasks, {sum(len(t['deadlines']) for t in result['tasks'])} deadlines"
    )
    print(
        f"runs: {args.runs}  median: {statistics.median(timings):.3f} s  max: {max(timings):.3f} s  "
        f"min: {min(timings):.3f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
