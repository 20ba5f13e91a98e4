"""任务分工 tables written as text: tabs, runs of spaces, full-width spaces, pipes.

Each layout must give the same tasks as the same table in a .docx (the
docx reader yields ``Table`` blocks; the text layouts are rebuilt into the
same blocks and go through the same task-table code).
"""

from __future__ import annotations

import io

import docx
import pytest

from zhiben.plans.parsing import parse_plan_bytes, parse_plan_text
from zhiben.plans.parsing.blocks import Paragraph, Table, blocks_from_text
from zhiben.plans.parsing.task_tables import read_entries
from zhiben.plans.parsing.textnorm import normalize_text

HEADER = ["序号", "重点任务", "具体措施", "牵头单位", "责任单位", "配合单位", "完成时限"]
ROWS = [
    [
        "1",
        "开展燃气安全排查",
        "全面排查餐饮场所燃气隐患，建立隐患台账。",
        "区应急局",
        "各街道",
        "区市场监管局、区消防救援支队",
        "2024年6月底前",
    ],
    [
        "2",
        "推进消防通道整治",
        "清理占用堵塞消防通道，每季度开展一次联合检查。",
        "区消防救援支队",
        "",
        "各街道",
        "2025年底前",
    ],
    ["3", "整治电动自行车违规充电", "清理楼道充电，建设集中充电设施。", "区房管局", "各街道", "", "2026年6月底前"],
]
BEFORE = "某区燃气安全专项整治方案（2024-2026年）\n为做好工作，制定本方案。\n一、主要任务\n各单位按下表分工落实。\n"
AFTER = "二、工作要求\n各单位加强调度，按时报送进展。\n"


def plan(table_text: str, before: str = BEFORE, after: str = AFTER) -> str:
    return before + table_text + after


def docx_plan(header=HEADER, rows=ROWS) -> bytes:
    document = docx.Document()
    for line in BEFORE.strip().split("\n"):
        document.add_paragraph(line)
    table = document.add_table(rows=len(rows) + 1, cols=len(header))
    for r, row in enumerate([header, *rows]):
        for c, text in enumerate(row):
            if text:
                table.cell(r, c).text = text
    for line in AFTER.strip().split("\n"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def tabs(header=HEADER, rows=ROWS) -> str:
    return "".join("\t".join(row) + "\n" for row in [header, *rows])


def pipes(header=HEADER, rows=ROWS) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows]) + "\n"


def width(text: str) -> int:
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def aligned(header=HEADER, rows=ROWS, gap: str = "  ") -> str:
    """Columns padded with spaces to a common display width (as typed in a plain editor)."""
    widths = [max(width(r[c]) for r in [header, *rows]) for c in range(len(header))]
    return "".join(
        gap.join(cell + " " * (w - width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in [header, *rows]
    )


def tasks(text: str) -> list[dict]:
    return parse_plan_text(text)["tasks"]


def test_the_docx_table_gives_these_tasks():
    result = parse_plan_bytes(docx_plan(), "plan.docx")["tasks"]
    assert [(t["number"], t["title"]) for t in result] == [
        ("1", "开展燃气安全排查"),
        ("2", "推进消防通道整治"),
        ("3", "整治电动自行车违规充电"),
    ]
    first, second, third = result
    assert first["text"] == "全面排查餐饮场所燃气隐患，建立隐患台账。"  # 具体措施 is the task text
    # 牵头单位 leads; 责任单位 next to it and 配合单位 both participate
    assert first["lead_units"] == ["区应急局"]
    assert first["participating_units"] == ["各街道", "区市场监管局", "区消防救援支队"]
    assert [d["date"] for d in first["deadlines"]] == ["2024-06-30"]
    assert second["participating_units"] == ["各街道"]
    assert [(d["period"], d["every"]) for d in second["recurring"]] == [("quarter", 1)]
    assert [d["date"] for d in third["deadlines"]] == ["2026-06-30"]


@pytest.mark.parametrize(
    "layout",
    [
        tabs,
        pipes,
        aligned,
        lambda: aligned(gap="\u3000"),  # full-width spaces between columns
        # not aligned at all, every cell written ("－" for none): read in order
        lambda: "".join("  ".join(c or "－" for c in row) + "\n" for row in [HEADER, *ROWS]),
    ],
    ids=["tabs", "pipes", "spaces", "full-width-spaces", "unaligned"],
)
def test_text_layouts_give_the_same_tasks_as_docx(layout):
    from_docx = parse_plan_bytes(docx_plan(), "plan.docx")["tasks"]
    assert tasks(plan(layout())) == from_docx


def test_space_aligned_table_places_empty_cells_by_position():
    blocks = blocks_from_text(normalize_text(plan(aligned())))
    table = next(b for b in blocks if isinstance(b, Table))
    assert table.rows[2] == tuple(ROWS[1])  # empty 责任单位 stays empty, 配合单位 stays in its column
    assert table.rows[3][5] == ""


WRAPPED_TABS = (
    "\t".join(HEADER)
    + "\n"
    + "1\t开展燃气安全排查\t全面排查餐饮场所燃气隐患，\t区应急局\t各街道\t区市场监管局、\t2024年6月\n"
    + "\t\t建立隐患台账。\t\t\t区消防救援支队\t底前\n"
    + "\t".join(ROWS[1])
    + "\n"
    + "3\t整治电动自行车违规\t清理楼道充电，建设集中充电设施。\t区房管局\t各街道\t\t2026年6月底前\n"
    + "\t充电\t\t\t\t\t\n"
)

# Copied from Word/Excel: a cell with a line break splits its row over two lines.
WRAPPED_COPY = (
    "\t".join(HEADER)
    + "\n"
    + "1\t开展燃气安全排查\t全面排查餐饮场所燃气隐患，\n"
    + "建立隐患台账。\t区应急局\t各街道\t区市场监管局、区消防救援支队\t2024年6月底前\n"
    + "".join("\t".join(row) + "\n" for row in ROWS[1:])
)

WRAPPED_PIPES = (
    pipes(rows=[])
    + "| 1 | 开展燃气安全排查 | 全面排查餐饮场所燃气隐患， | 区应急局 | 各街道 | 区市场监管局、 | 2024年6月 |\n"
    + "|  |  | 建立隐患台账。 |  |  | 区消防救援支队 | 底前 |\n"
    + "| 2 | 推进消防通道整治 | 清理占用堵塞消防通道，<br>每季度开展一次联合检查。 | 区消防救援支队 |  | 各街道 | 2025年底前 |\n"
    + "| 3 | 整治电动自行车违规充电 | 清理楼道充电，建设集中充电设施。 | 区房管局 | 各街道 |  | 2026年6月底前 |\n"
)

WRAPPED_SPACES = (
    "序号　重点任务　　　　　　　具体措施　　　　　　　　　　牵头单位　　　　责任单位　配合单位　　　　完成时限\n"
    "1　　 开展燃气安全排查　　　全面排查餐饮场所燃气隐患，　区应急局　　　　各街道　　区市场监管局、　2024年6月底前\n"
    "　　　　　　　　　　　　　　建立隐患台账。　　　　　　　　　　　　　　　　　　　区消防救援支队\n"
    "2　　 推进消防通道整治　　　清理占用堵塞消防通道，　　　区消防救援支队　　　　　　各街道　　　　　2025年底前\n"
    "　　　　　　　　　　　　　　每季度开展一次联合检查。\n"
    "3　　 整治电动自行车违规　　清理楼道充电，建设集中充　　区房管局　　　　各街道　　　　　　　　　　2026年6月底前\n"
    "　　　充电　　　　　　　　　电设施。\n"
)


@pytest.mark.parametrize(
    "text",
    [WRAPPED_TABS, WRAPPED_COPY, WRAPPED_PIPES, WRAPPED_SPACES],
    ids=["tabs", "copied-cell", "pipes", "spaces"],
)
def test_wrapped_cells_are_joined(text):
    result = tasks(plan(text))
    assert [t["title"] for t in result] == ["开展燃气安全排查", "推进消防通道整治", "整治电动自行车违规充电"]
    first = result[0]
    assert first["text"] == "全面排查餐饮场所燃气隐患，建立隐患台账。"
    assert first["lead_units"] == ["区应急局"]
    assert first["participating_units"] == ["各街道", "区市场监管局", "区消防救援支队"]
    assert [d["date"] for d in first["deadlines"]] == ["2024-06-30"]
    assert [(d["period"], d["every"]) for d in result[1]["recurring"]] == [("quarter", 1)]
    assert result[2]["lead_units"] == ["区房管局"]
    assert [d["date"] for d in result[2]["deadlines"]] == ["2026-06-30"]


def test_a_wrap_after_a_finished_sentence_keeps_its_line_break():
    text = pipes(rows=[]) + (
        "| 1 | 开展燃气安全排查 | 全面排查餐饮场所燃气隐患。 | 区应急局 | 各街道 |  | 2024年6月底前 |\n"
        "|  |  | 建立隐患台账。 |  |  |  |  |\n"
    )
    assert tasks(plan(text))[0]["text"] == "全面排查餐饮场所燃气隐患。\n建立隐患台账。"


def test_continuation_rows_are_not_wraps():
    """A row with an empty 序号 that states a new measure with its own units is a row of the same task."""
    rows = [
        ["1", "开展燃气安全排查", "全面排查餐饮场所燃气隐患。", "区应急局", "", "各街道", "2024年6月底前"],
        ["", "", "建立隐患台账，每月更新。", "区应急局", "", "区市场监管局", "持续推进"],
    ]
    blocks = blocks_from_text(normalize_text(tabs(rows=rows)))
    (table,) = blocks
    assert len(table.rows) == 3
    (entry,) = read_entries(table.rows)
    assert entry.requirements == ["全面排查餐饮场所燃气隐患。", "建立隐患台账，每月更新。"]
    assert entry.participating == ["各街道", "区市场监管局"]


@pytest.mark.parametrize(
    ("lead", "participating", "deadline"),
    [
        ("牵头单位", "配合单位", "完成时限"),
        ("牵头部门", "参与单位", "完成时间"),
        ("主责单位", "协办单位", "时间节点"),
        ("责任单位", "配合单位", "时限要求"),
    ],
)
def test_header_synonyms(lead, participating, deadline):
    header = ["序号", "重点任务", "具体措施", lead, participating, deadline]
    rows = [["1", "开展燃气安全排查", "全面排查隐患。", "区应急局", "各街道、区市场监管局", "2024年6月底前"]]
    for layout in (tabs, pipes, aligned):
        (task,) = tasks(plan(layout(header, rows)))
        assert task["lead_units"] == ["区应急局"]
        assert task["participating_units"] == ["各街道", "区市场监管局"]
        assert [d["date"] for d in task["deadlines"]] == ["2024-06-30"]


def test_without_a_lead_column_the_responsible_unit_leads():
    header = ["序号", "重点任务", "具体措施", "责任单位", "配合单位", "完成时间"]
    rows = [
        ["1", "开展燃气安全排查", "全面排查隐患。", "区应急局", "各街道", "2024年底前"],
        ["2", "推进消防通道整治", "清理消防通道。", "区消防救援支队", "", "2025年底前"],
    ]
    for layout in (tabs, pipes, aligned):
        result = tasks(plan(layout(header, rows)))
        assert [(t["lead_units"], t["participating_units"]) for t in result] == [
            (["区应急局"], ["各街道"]),
            (["区消防救援支队"], []),
        ]


GARBAGE_BEFORE = (
    "某区燃气安全专项整治方案（2024-2026年）\n"
    "====================\n"
    "第 1 页  共 3 页\n"
    "为做好工作，制定本方案。  各单位要高度重视。\n"
    "一、主要任务\n"
    "表1  任务分工表\n"
)
GARBAGE_AFTER = "（表格完）\n——————\n打印：办公室    2024年3月1日印发\n二、工作要求\n各单位加强调度。\n"


@pytest.mark.parametrize("layout", [tabs, pipes, aligned], ids=["tabs", "pipes", "spaces"])
def test_garbage_lines_around_a_table(layout):
    result = parse_plan_text(plan(layout(), before=GARBAGE_BEFORE, after=GARBAGE_AFTER))
    assert [t["title"] for t in result["tasks"]] == [r[1] for r in ROWS]
    # the same tasks; only their section differs (the caption above the table)
    assert {t["section"] for t in result["tasks"]} == {"表1任务分工表"}
    assert [{**t, "section": ""} for t in result["tasks"]] == [{**t, "section": ""} for t in tasks(plan(layout()))]
    blocks = blocks_from_text(normalize_text(plan(layout(), before=GARBAGE_BEFORE, after=GARBAGE_AFTER)))
    assert sum(isinstance(b, Table) for b in blocks) == 1
    paragraphs = [b.text for b in blocks if isinstance(b, Paragraph)]
    assert "（表格完）" in paragraphs and "第1页共3页" in paragraphs


def test_prose_with_double_spaces_is_not_a_table():
    text = (
        "某区方案\n一、主要任务\n"
        "1.开展排查  加强监管  落实责任。\n"
        "序号  单位  联系人\n1  区应急局  张三\n"  # a space-aligned table, but not a task table
        "　　2.各单位要高度重视，切实加强组织领导。\n"
    )
    blocks = blocks_from_text(normalize_text(text))
    assert all(isinstance(b, Paragraph) for b in blocks)
    assert "1.开展排查加强监管落实责任。" in [b.text for b in blocks]


def test_a_lone_line_after_a_blank_line_ends_the_table():
    text = tabs() + "\n请各单位于每月5日前报送进展。\n"
    blocks = blocks_from_text(normalize_text(text))
    assert isinstance(blocks[0], Table) and len(blocks[0].rows) == 4
    assert blocks[1] == Paragraph("请各单位于每月5日前报送进展。")


def test_prose_right_after_a_tab_table_is_not_a_wrap():
    text = tabs() + "请各单位于每月5日前报送进展。\n"
    blocks = blocks_from_text(normalize_text(text))
    assert blocks[0].rows[-1] == tuple(ROWS[-1])
    assert blocks[1] == Paragraph("请各单位于每月5日前报送进展。")


def test_text_table_merges_into_prose_tasks_like_a_docx_table():
    prose = "1.开展燃气安全排查。每月组织一次检查。\n2.推进消防通道整治。\n3.整治电动自行车违规充电。\n"
    for layout in (tabs, pipes, aligned):
        result = tasks(plan(layout(), before=BEFORE + prose))
        assert len(result) == 3
        assert result[0]["text"] == "开展燃气安全排查。每月组织一次检查。"  # the prose stays the text
        assert result[0]["lead_units"] == ["区应急局"]
        assert [(d["period"], d["every"]) for d in result[0]["recurring"]] == [("month", 1)]
