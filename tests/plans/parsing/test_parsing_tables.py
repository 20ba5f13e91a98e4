"""Tables: the tab layouts of text exports, task-table columns and the mapping onto tasks."""

from __future__ import annotations

from pathlib import Path

from zhiben.plans.parsing import parse_plan_text
from zhiben.plans.parsing.blocks import Paragraph, Table, blocks_from_text
from zhiben.plans.parsing.task_tables import find_header, read_entries, title_similarity
from zhiben.plans.parsing.textnorm import normalize_text

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"


def ecology_blocks():
    return blocks_from_text(normalize_text((PLANS_DIR / "ecology.txt").read_text(encoding="utf-8")))


def test_ecology_annex_1_is_read_as_a_six_column_table():
    tables = [b for b in ecology_blocks() if isinstance(b, Table)]
    task_table = tables[0]
    assert task_table.rows[0] == ("序号", "主要任务", "工作要求", "完成时间", "牵头单位", "参与单位")
    assert len(task_table.rows) == 28
    assert all(len(row) == 6 for row in task_table.rows)
    assert task_table.rows[1][:2] == ("1", "强化管理\n部门责任\n落实")
    # a continuation row: 序号 and 主要任务 empty (merged cells in the original)
    assert task_table.rows[2][:2] == ("", "")
    assert task_table.rows[2][4] == "辐射与应急管理科、局法制与宣传教育科"
    # a cell that wraps over blank lines stays one cell
    row_4 = next(r for r in task_table.rows if r[0] == "4")
    assert row_4[3].startswith("2024年：") and "2025-2026年" in row_4[3]
    assert row_4[4:] == ("辐射与应急管理科", "法制与宣传教育科")


def test_ecology_form_annexes_are_separate_tables_not_task_tables():
    tables = [b for b in ecology_blocks() if isinstance(b, Table)]
    assert len(tables) == 4
    assert [find_header(t.rows) is not None for t in tables] == [True, False, False, False]


def test_ecology_table_entries():
    table = next(b for b in ecology_blocks() if isinstance(b, Table))
    entries = read_entries(table.rows, "分解表")
    assert [e.number for e in entries] == [str(n) for n in range(1, 11)]
    first = entries[0]
    assert first.title == "强化管理部门责任落实"
    assert first.lead == ["辐射与应急管理科", "局法制与宣传教育科", "办公室"]
    assert first.participating == ["各科室", "执法大队", "监测站"]
    assert len(first.requirements) == 3
    assert entries[2].deadline_cells[0] == "持续推进：组织开展生态环境执法监管业务培训"


def test_tab_indented_prose_is_not_a_table():
    text = "\t为做好工作，制定本方案，这是一个很长的段落，超过了表头单元格应有的长度限制。\n\t一、主要任务\n\n\t1.开展排查。\n"
    assert all(isinstance(b, Paragraph) for b in blocks_from_text(text))


HEADER = ["序号", "主要任务", "工作要求", "完成时限", "责任单位", "配合单位"]
ROWS = [
    ["1", "开展燃气安全排查", "全面排查餐饮场所燃气隐患。", "2024年6月底前", "区应急局", "各街道、区市场监管局"],
    ["", "", "建立隐患台账。", "持续推进：每月更新台账", "区应急局", "各街道"],
    ["2", "推进消防通道整治", "清理占用堵塞消防通道。", "2025年底前", "区消防救援支队", "-"],
]


def _table_plan(table_text: str, prose: bool) -> str:
    body = (
        "一、主要任务\n1.开展燃气安全排查。加强监管。\n2.推进消防通道整治。\n" if prose else "一、主要任务\n见附件。\n"
    )
    return f"某区燃气安全专项整治方案（2024-2025年）\n为做好工作，制定本方案。\n{body}二、工作要求\n加强调度。\n附件：任务分解表\n任务分解表\n{table_text}"


def _cell_per_line(rows: list[list[str]]) -> str:
    return "\n".join("\n".join("\t" + c for c in row) + "\n" for row in [HEADER, *rows])


def _row_per_line(rows: list[list[str]]) -> str:
    return "\n".join("\t".join(row) for row in [HEADER, *rows]) + "\n"


def _markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def test_table_merges_into_prose_tasks():
    result = parse_plan_text(_table_plan(_cell_per_line(ROWS), prose=True))
    first, second = result["tasks"]
    assert first["title"] == "开展燃气安全排查"
    # 责任单位 without a 牵头 column is the lead; 配合单位 participates
    assert first["lead_units"] == ["区应急局"]
    assert first["participating_units"] == ["各街道", "区市场监管局"]
    assert [d["date"] for d in first["deadlines"]] == ["2024-06-30"]
    assert [(d["period"], d["every"]) for d in first["recurring"]] == [("month", 1)]
    assert second["lead_units"] == ["区消防救援支队"]
    assert second["participating_units"] == []
    assert [d["date"] for d in second["deadlines"]] == ["2025-12-31"]


def test_all_text_layouts_of_a_table_give_the_same_tasks():
    results = [
        parse_plan_text(_table_plan(layout(ROWS), prose=True))["tasks"]
        for layout in (_cell_per_line, _row_per_line, _markdown)
    ]
    assert results[0] == results[1] == results[2]


def test_table_only_plan_emits_table_tasks():
    result = parse_plan_text(_table_plan(_cell_per_line(ROWS), prose=False))
    assert [(t["number"], t["title"], t["section"]) for t in result["tasks"]] == [
        ("1", "开展燃气安全排查", "任务分解表"),
        ("2", "推进消防通道整治", "任务分解表"),
    ]
    assert result["tasks"][0]["text"] == "全面排查餐饮场所燃气隐患。\n建立隐患台账。"
    assert result["tasks"][0]["lead_units"] == ["区应急局"]


def test_unmatched_entries_become_their_own_tasks():
    rows = [*ROWS, ["3", "整治电动自行车违规充电", "清理楼道充电。", "2024年底前", "各街道", ""]]
    result = parse_plan_text(_table_plan(_cell_per_line(rows), prose=True))
    assert [t["title"] for t in result["tasks"]] == ["开展燃气安全排查", "推进消防通道整治", "整治电动自行车违规充电"]
    assert result["tasks"][2]["lead_units"] == ["各街道"]


def test_section_rows_in_a_table():
    rows = [["一、源头治理", "一、源头治理", "一、源头治理", "一、源头治理", "一、源头治理", "一、源头治理"], *ROWS]
    result = parse_plan_text(_table_plan(_row_per_line(rows), prose=False))
    assert {t["section"] for t in result["tasks"]} == {"一、源头治理"}


def test_lead_and_responsible_columns():
    rows = (("序号", "重点任务", "牵头单位", "责任单位", "完成时间"), ("1", "排查", "区应急局", "各街道", "2024年底"))
    entries = read_entries(rows)
    assert (entries[0].lead, entries[0].participating) == (["区应急局"], ["各街道"])


def test_title_similarity():
    assert title_similarity("强化管理\n部门责任\n落实", "强化管理部门责任落实") == 1.0
    assert title_similarity("开展燃气安全排查", "推进消防通道整治") < 0.3
