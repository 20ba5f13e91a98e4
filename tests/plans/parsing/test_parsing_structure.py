"""Outline rules: labels, task parts, task levels and real-world faults."""

from __future__ import annotations

import pytest

from zhiben.plans.parsing import parse_plan_text
from zhiben.plans.parsing.structure import classify, lead_phrase, match_label


def tasks(text: str) -> list[tuple[str, str, str]]:
    return [(t["number"], t["section"], t["title"]) for t in parse_plan_text(text)["tasks"]]


@pytest.mark.parametrize(
    ("line", "level", "ordinal"),
    [
        ("一、总体要求", 1, 1),
        ("十二、附则", 1, 12),
        ("（三）开展全民安全素质提升行动。", 2, 3),
        ("(三)开展全民安全素质提升行动。", 2, 3),
        ("1.进一步强化区商务委党组责任。", 3, 1),
        ("10、规范事故报告调查工作流程。", 3, 10),
        ("（2）非公用人防工程、普通地下室。", 4, 2),
        ("2）非公用人防工程", 4, 2),
        ("③建立台账", 5, 3),
    ],
)
def test_labels(line, level, ordinal):
    label = match_label(line)
    assert (label.level, label.ordinal) == (level, ordinal)


@pytest.mark.parametrize(
    "line",
    [
        "一是工程管理单位对自查发现隐患",
        "2024年，组织开展",
        "2.5倍以上",
        "“12345”市民服务热线",
        "三合一违规住人",
        "12345热线",
    ],
)
def test_not_labels(line):
    assert match_label(line) is None


def test_lead_phrase_is_up_to_first_full_stop():
    assert lead_phrase("深化交通安全协同治理机制。区交安委办公室要…。") == "深化交通安全协同治理机制"
    assert lead_phrase("进一步提升应急处置和救援急救能力") == "进一步提升应急处置和救援急救能力"


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("主要任务", "task"),
        ("重点任务", "task"),
        ("重点工作", "task"),
        ("工作任务", "task"),
        ("主要任务和责任分工", "task"),
        ("具体措施", "task"),
        ("任务分工", "assignment"),
        ("保障措施", "guarantee"),
        ("有关要求", "guarantee"),
        ("工作要求", "guarantee"),
        ("组织领导", "organization"),
        ("工作阶段", "phase"),
        ("实施步骤", "phase"),
        ("工作目标", "goal"),
        ("总体要求", "general"),
        ("强化源头治理", "other"),
    ],
)
def test_part_classification(heading, kind):
    assert classify(heading) == kind


PLAN = """某区安全生产治本攻坚三年行动方案（2024-2026年）
为做好工作，制定本方案。
一、工作目标
2025年底前基本建成长效机制。
二、重点任务
（一）强化源头治理。
1.开展排查。区应急局要组织开展排查。
2.推进整治。2024年底前完成整治。
（二）提升能力。
3.加强培训。每年至少开展2次培训。
三、保障措施
（一）加强督导。每月5日前报送进展情况。
"""


def test_basic_plan():
    result = parse_plan_text(PLAN)
    assert tasks(PLAN) == [
        ("1", "（一）强化源头治理", "开展排查"),
        ("2", "（一）强化源头治理", "推进整治"),
        ("3", "（二）提升能力", "加强培训"),
    ]
    assert result["tasks"][0]["lead_units"] == ["区应急局"]
    assert result["goals"] == [{"deadline": "2025-12-31", "text": "2025年底前基本建成长效机制"}]
    assert [(d["period"], d["due_day"]) for d in result["recurring"]] == [("month", 5)]


def test_glued_part_heading():
    text = PLAN.replace(
        "为做好工作，制定本方案。\n一、工作目标\n2025年底前基本建成长效机制。\n二、重点任务",
        "为做好工作，制定本方案。\n一、工作目标\n2025年底前基本建成长效机制。二、重点任务",
    )
    assert text != PLAN
    assert tasks(text) == tasks(PLAN)


def test_glued_section_and_items_on_one_line():
    text = PLAN.replace(
        "（一）强化源头治理。\n1.开展排查。区应急局要组织开展排查。\n2.推进整治。",
        "（一）强化源头治理。1.开展排查。区应急局要组织开展排查。2.推进整治。",
    )
    assert text != PLAN
    assert tasks(text) == tasks(PLAN)


def test_inline_enumeration_does_not_split():
    text = PLAN.replace(
        "1.开展排查。区应急局要组织开展排查。", "1.开展排查。重点是：（1）燃气；（2）消防。一是查隐患，二是抓整改。"
    )
    assert text != PLAN
    assert len(tasks(text)) == 3


def test_repeated_part_number():
    text = PLAN.replace("三、保障措施", "二、保障措施")
    assert text != PLAN
    assert tasks(text) == tasks(PLAN)
    assert [(d["period"], d["due_day"]) for d in parse_plan_text(text)["recurring"]] == [("month", 5)]


def test_full_and_half_width_labels_and_stray_spaces():
    text = (
        PLAN.replace("（一）强化源头治理", "(一)强化源头治理")
        .replace("1.开展排查", "1、开展排查")
        .replace("2.推进整治", "２．推进整治")
        .replace("区应急局要", "区应急局 要")
        .replace("2024年底前", "２０２４ 年底前")
    )
    assert text != PLAN
    result = parse_plan_text(text)
    assert tasks(text) == tasks(PLAN)
    assert result["tasks"][0]["lead_units"] == ["区应急局"]
    assert result["tasks"][1]["deadlines"][0]["date"] == "2024-12-31"


def test_missing_first_section_label():
    text = """某区方案
一、主要任务
紧紧围绕目标，扎实开展以下行动。
树牢安全发展理念。组织全体干部职工深入学习。
（二）强化产业园区安全管理能力。加强综合协调。
（三）提升工业领域本质安全水平。加强安全生产工作。
二、保障措施
（一）加强组织领导。
"""
    assert tasks(text) == [
        ("（一）", "一、主要任务", "树牢安全发展理念"),
        ("（二）", "一、主要任务", "强化产业园区安全管理能力"),
        ("（三）", "一、主要任务", "提升工业领域本质安全水平"),
    ]


def test_missing_middle_label():
    text = """某区方案
一、主要任务
1.开展排查。全面排查隐患。
推进整治。督促整改到位。
3.加强培训。组织培训。
"""
    assert [t[0] for t in tasks(text)] == ["1", "2", "3"]
    assert tasks(text)[1][2] == "推进整治"


def test_lead_in_is_not_promoted():
    text = """某区方案
一、主要任务
重点开展以下工作：
（二）强化产业园区安全管理能力。加强综合协调。
"""
    assert tasks(text) == [("（二）", "一、主要任务", "强化产业园区安全管理能力")]


def test_numbering_restarts_per_section():
    text = """某区方案
一、主要任务
（一）完善机制。
1.深化协同。区交安委办公室要强化协作。
2.固化监管。区建管委要完善制度。
（二）夯实基础。
1.排查隐患。区公安分局要排摸。
二、保障措施
"""
    assert tasks(text) == [
        ("1", "（一）完善机制", "深化协同"),
        ("2", "（一）完善机制", "固化监管"),
        ("1", "（二）夯实基础", "排查隐患"),
    ]


def test_sub_items_are_tasks_when_there_are_no_arabic_items():
    text = """某区方案
一、重点工作
（一）燃气安全。
（1）排查管道。
（2）更换软管。
（二）消防安全。
（1）清理通道。
"""
    assert tasks(text) == [
        ("（1）", "（一）燃气安全", "排查管道"),
        ("（2）", "（一）燃气安全", "更换软管"),
        ("（1）", "（二）消防安全", "清理通道"),
    ]


def test_sub_items_stay_inside_their_item():
    text = """某区方案
一、主要任务
1.强化防控。落实机制；（1）公用工程。每月一次检查。（2）防空警报器。加强巡查。
2.规范执法。
"""
    result = parse_plan_text(text)
    assert [t["number"] for t in result["tasks"]] == ["1", "2"]
    assert "（2）防空警报器" in result["tasks"][0]["text"]


def test_label_alone_on_its_line():
    text = "某区方案\n一、主要任务\n1.\n开展排查。全面排查。\n2.\n推进整治。督促整改。\n"
    assert tasks(text) == [("1", "一、主要任务", "开展排查"), ("2", "一、主要任务", "推进整治")]


def test_sections_without_items_are_tasks_next_to_sections_with_items():
    text = """某区方案
一、主要任务
（一）强化源头治理。
1.开展排查。
（二）提升应急能力。加强演练。
"""
    assert tasks(text) == [("1", "（一）强化源头治理", "开展排查"), ("（二）", "一、主要任务", "提升应急能力")]


def test_guarantee_parts_are_not_tasks_but_feed_plan_level_lists():
    text = """某区方案
一、主要任务
1.开展排查。
二、有关要求
1.加强调度。每季度召开一次调度会。
2.按时报送。2024年6月30日前报送中期评估报告。
"""
    result = parse_plan_text(text)
    assert [t["title"] for t in result["tasks"]] == ["开展排查"]
    assert [d["period"] for d in result["recurring"]] == ["quarter"]
    assert [g["deadline"] for g in result["goals"]] == ["2024-06-30"]


def test_a_task_heading_inside_a_general_part_is_not_a_task_part():
    """The civil-defense trap: 一、总体要求 （二）主要任务 lists hazards, not tasks."""
    text = """某区方案
一、总体要求
（二）主要任务。聚焦重点隐患。
1.违法违规施工作业：（1）未经审批施工。
二、主要任务
（一）持续完善责任体系。
1.强化领导责任。
"""
    assert tasks(text) == [("1", "（一）持续完善责任体系", "强化领导责任")]


def test_division_of_work_is_used_when_there_is_no_task_part():
    text = "某区方案\n一、任务分工\n1.区应急局负责统筹。\n2.各街道负责落实。\n二、工作要求\n"
    assert [t["number"] for t in parse_plan_text(text)["tasks"]] == ["1", "2"]


def test_action_chapters_are_tasks_when_no_part_is_headed_as_tasks():
    text = """某区方案
一、指导思想
坚持人民至上。
二、强化源头治理
（一）开展排查。区应急局要组织排查。
（二）推进整治。
三、提升应急能力
（一）加强演练。每年至少开展1次演练。
四、保障措施
（一）加强领导。
"""
    assert tasks(text) == [
        ("（一）", "二、强化源头治理", "开展排查"),
        ("（二）", "二、强化源头治理", "推进整治"),
        ("（一）", "三、提升应急能力", "加强演练"),
    ]


def test_plan_without_headings_uses_numbered_items():
    text = "某区工作要点\n1.开展燃气安全排查。\n2.推进消防通道整治。\n"
    assert [t["number"] for t in parse_plan_text(text)["tasks"]] == ["1", "2"]


def test_title_skips_document_number_and_annex_marker():
    text = "附件1\n虹安委办〔2024〕5号\n某区安全生产\n专项整治方案（2024年）\n为做好工作，制定本方案。\n一、主要任务\n1.开展排查。\n"
    result = parse_plan_text(text)
    assert result["title"] == "某区安全生产专项整治方案（2024年）"
    assert result["period"] == {"start": "2024-01-01", "end": "2024-12-31"}


def test_annexes_are_not_body_text():
    text = PLAN + "附件：任务清单\n1.这不是任务。\n每月报送一次。\n"
    result = parse_plan_text(text)
    assert len(result["tasks"]) == 3
    assert len(result["recurring"]) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a label followed by punctuation only is no task
        ("一、主要任务\n（一）。\n（二）加强检查。", [("（二）", "加强检查")]),
        ("一、主要任务\n（一）“”。\n（二）落实责任。", [("（二）", "落实责任")]),
        # separators between a label and its words are not part of the title
        ("一、主要任务\n（一）：加强检查。推进整改", [("（一）", "加强检查")]),
        ("一、主要任务\n（一）；\n加强检查。\n（二）落实责任。", [("（一）", "加强检查"), ("（二）", "落实责任")]),
    ],
)
def test_labels_without_words(text, expected):
    assert [(t["number"], t["title"]) for t in parse_plan_text(text)["tasks"]] == expected
