""".docx input: built here with python-docx from the plans' text, then parsed.

The central check: a .docx holding the same paragraphs and tables as a
plan's text form parses to exactly the same result (tasks, units, dates and
even the source fingerprint).
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from zhiben.plans.parsing import PlanParseError, parse_plan_bytes, parse_plan_text
from zhiben.plans.parsing.blocks import Paragraph, Table, blocks_from_text
from zhiben.plans.parsing.docx_reader import read_docx
from zhiben.plans.parsing.textnorm import normalize_text

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"


def plan(name: str) -> str:
    return (PLANS_DIR / f"{name}.txt").read_text(encoding="utf-8")


def to_docx(blocks, merge_task_cells: bool = False) -> bytes:
    """Write blocks into a .docx: paragraphs as paragraphs, tables as tables.

    With ``merge_task_cells`` the empty 序号/主要任务 cells of continuation
    rows are vertically merged into the row above, as in the original Word file.
    """
    document = docx.Document()
    for block in blocks:
        if isinstance(block, Paragraph):
            document.add_paragraph(block.text)
            continue
        rows = block.rows
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if text:
                    table.cell(r, c).text = text
        if merge_task_cells and rows[0][:2] == ("序号", "主要任务"):
            start = None
            for r in range(1, len(rows) + 1):
                if r == len(rows) or rows[r][0]:
                    if start is not None and r - 1 > start:
                        for c in (0, 1):
                            table.cell(start, c).merge(table.cell(r - 1, c))
                    start = r
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_ecology_docx_equals_text_form():
    text = plan("ecology")
    blocks = blocks_from_text(normalize_text(text))
    assert any(isinstance(b, Table) for b in blocks)
    from_docx = parse_plan_bytes(to_docx(blocks), "ecology.docx")
    assert from_docx == parse_plan_text(text)


def test_ecology_docx_with_merged_cells_equals_text_form():
    text = plan("ecology")
    data = to_docx(blocks_from_text(normalize_text(text)), merge_task_cells=True)
    document = docx.Document(io.BytesIO(data))
    assert document.tables[0]._tbl.xpath(".//w:vMerge")  # the merge really happened
    assert parse_plan_bytes(data) == parse_plan_text(text)


HEADER = ("序号", "主要任务", "工作要求", "完成时间", "牵头单位", "参与单位")
TABLE = [
    (
        "1",
        "进一步强化区商务委党组责任",
        "将安全生产纳入党组宣传工作重点。",
        "每季度至少召开一次会议",
        "办公室",
        "市场管理科",
    ),
    ("2", "进一步夯实各条线科室行业监管责任", "细化分工。", "2024年底前", "市场管理科", "商业发展科、贸易促进科"),
    ("", "", "建立全链条指导督促机制。", "2025年6月前", "市场管理科", "企业协调服务科"),
    ("14", "推进商务领域燃气安全整治", "开展餐饮场所燃气安全检查。", "2024年12月底", "市场管理科", "各街道"),
]


def _commerce_with_table_text() -> str:
    cells = "\n".join("\n".join("\t" + c for c in row) + "\n" for row in [HEADER, *TABLE])
    return plan("commerce") + "\n附件：任务分解表\n商务领域任务分解表\n" + cells


def test_commerce_with_task_table_docx_equals_text_form():
    text = _commerce_with_table_text()
    from_text = parse_plan_text(text)
    document = docx.Document()
    for line in plan("commerce").split("\n"):
        document.add_paragraph(line)
    document.add_paragraph("附件：任务分解表")
    document.add_paragraph("商务领域任务分解表")
    table = document.add_table(rows=len(TABLE) + 1, cols=len(HEADER))
    for r, row in enumerate([HEADER, *TABLE]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    from_docx = parse_plan_bytes(buffer.getvalue(), "任务.docx")
    assert from_docx["tasks"] == from_text["tasks"]
    # the table's units and dates reached the prose tasks 1 and 2, and 14 is new
    tasks = from_docx["tasks"]
    assert tasks[0]["lead_units"] == ["办公室"] and tasks[0]["participating_units"] == ["市场管理科"]
    # table lead first, then the prose subjects; the table's 参与单位 all lead in the
    # prose ("商业发展科负责…"), and a lead is never also listed as participating
    assert tasks[1]["lead_units"] == [
        "市场管理科",
        "商业发展科",
        "企业协调服务科",
        "贸易促进科",
        "粮油食品科",
        "物资储备科",
    ]
    assert tasks[1]["participating_units"] == []
    assert [d["date"] for d in tasks[1]["deadlines"]] == ["2024-12-31", "2025-06-30"]
    assert [(t["number"], t["title"]) for t in tasks[13:]] == [("14", "推进商务领域燃气安全整治")]
    assert len(tasks) == 14


def test_horizontally_merged_section_row():
    document = docx.Document()
    document.add_paragraph("某区燃气安全专项整治方案")
    document.add_paragraph("一、工作要求")
    document.add_paragraph("加强调度。")
    table = document.add_table(rows=3, cols=4)
    for c, value in enumerate(("序号", "重点任务", "责任单位", "完成时限")):
        table.cell(0, c).text = value
    table.cell(1, 0).merge(table.cell(1, 3)).text = "一、源头治理"
    for c, value in enumerate(("1", "排查燃气隐患", "区应急局", "2024年底前")):
        table.cell(2, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    (task,) = parse_plan_bytes(buffer.getvalue())["tasks"]
    assert (task["number"], task["section"], task["title"]) == ("1", "一、源头治理", "排查燃气隐患")
    assert task["lead_units"] == ["区应急局"]
    assert task["deadlines"][0]["date"] == "2024-12-31"


def _add_numbering(document) -> None:
    """A Chinese multi-level list: 一、 / （一） / 1."""
    numbering = document.part.numbering_part.element
    levels = [("chineseCounting", "%1、"), ("chineseCounting", "（%2）"), ("decimal", "%3.")]
    lvl_xml = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    numbering.append(parse_xml(f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">{lvl_xml}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))


def _numbered(document, text: str, level: int) -> None:
    paragraph = document.add_paragraph(text)
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))


def test_word_automatic_numbering_is_rendered():
    document = docx.Document()
    _add_numbering(document)
    document.add_paragraph("某区安全生产治本攻坚三年行动方案（2024-2026年）")
    _numbered(document, "总体要求", 0)
    document.add_paragraph("坚持人民至上。")
    _numbered(document, "主要任务", 0)
    _numbered(document, "强化源头治理。", 1)
    _numbered(document, "开展排查。区应急局要组织排查。", 2)
    _numbered(document, "推进整治。2024年底前完成整治。", 2)
    _numbered(document, "提升应急能力。", 1)
    _numbered(document, "加强演练。每年至少开展1次演练。", 2)
    _numbered(document, "保障措施", 0)
    buffer = io.BytesIO()
    document.save(buffer)
    result = parse_plan_bytes(buffer.getvalue())
    assert [(t["number"], t["section"], t["title"]) for t in result["tasks"]] == [
        ("1", "（一）强化源头治理", "开展排查"),
        ("2", "（一）强化源头治理", "推进整治"),
        ("1", "（二）提升应急能力", "加强演练"),
    ]
    assert result["tasks"][0]["lead_units"] == ["区应急局"]


def test_line_breaks_inside_a_paragraph_and_empty_paragraphs():
    document = docx.Document()
    document.add_paragraph("某区方案")
    document.add_paragraph("")
    document.add_paragraph("一、主要任务\n1.开展排查。\n2.推进整治。")
    buffer = io.BytesIO()
    document.save(buffer)
    assert [t["title"] for t in parse_plan_bytes(buffer.getvalue())["tasks"]] == ["开展排查", "推进整治"]


def test_docx_without_text_is_empty():
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with pytest.raises(PlanParseError, match="文件为空"):
        parse_plan_bytes(buffer.getvalue(), "空白.docx")


def test_table_cells_read_from_xml_keep_merges_empty():
    document = docx.Document()
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "序号", "主要任务"
    table.cell(1, 0).text, table.cell(1, 1).text = "1", "排查"
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(2, 1).text = "整治"
    buffer = io.BytesIO()
    document.save(buffer)
    (block,) = read_docx(buffer.getvalue())
    assert block.rows == (("序号", "主要任务"), ("1", "排查"), ("", "整治"))
