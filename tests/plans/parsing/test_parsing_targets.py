"""Quantified targets (zhiben.plans.parsing.targets)."""

from __future__ import annotations

import pytest

from zhiben.plans.parsing.dates import deadline_segments
from zhiben.plans.parsing.targets import find_targets


def targets(text: str) -> list[tuple]:
    return [(t["value"], t.get("value_max"), t["unit"], t["date"]) for t in find_targets(text, deadline_segments(text))]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "对全量待整改隐患力争于2024年底前至少完成30%治理目标，2025年底前至少完成70%治理目标",
            [(30, None, "%", "2024-12-31"), (70, None, "%", "2025-12-31")],
        ),
        ("逐步修复损坏线圈，确保中心城区线圈完好率达80%以上", [(80, None, "%", None)]),
        ("2024年底前，培树2-3家人防工程“用体系管安全”示范单位", [(2, 3, "家", "2024-12-31")]),
        ("2025年，在市生态环境局指导下在本区培树2-3家生态环境领域典型企业", [(2, 3, "家", "2025-12-31")]),
        ("主要负责人受训率达到100%", [(100, None, "%", None)]),
        ("重点场所监控覆盖率100%", [(100, None, "%", None)]),
        ("打造3个示范街道", [(3, None, "个", None)]),
        ("培育两家标杆企业", [(2, None, "家", None)]),
        ("事故起数同比下降百分之十", [(10, None, "%", None)]),
        ("达标率达到95.5%", [(95.5, None, "%", None)]),
        ("合格率保持在80%-90%", [(80, 90, "%", None)]),
    ],
)
def test_targets(sentence, expected):
    assert targets(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "以及12个行业领域指导督促职责清单要求",  # scope, no target verb
        "对本区涉及危废的30家企事业单位开展排查",
        "每年至少完成2轮全覆盖隐患排查",  # occurrences are recurring duties
        "培树一批典型企业",  # article, not a quantity
        "建立一个长效机制",
        "1年内不得作为评优表彰对象",
    ],
)
def test_not_targets(sentence):
    assert targets(sentence) == []


def test_target_text_is_its_deadline_segment_or_clause():
    text = "2024年底前，培树2-3家示范单位；确保完好率达80%以上。"
    found = find_targets(text, deadline_segments(text))
    assert found[0]["text"] == "2024年底前，培树2-3家示范单位"
    assert found[1]["text"] == "确保完好率达80%以上"
