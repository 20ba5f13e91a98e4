"""Property tests: parsing never fails with anything but PlanParseError."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiben.plans.parsing import PlanParseError, parse_plan_bytes, parse_plan_text

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"
PLAN_LINES = [line for path in sorted(PLANS_DIR.glob("*.txt")) for line in path.read_text(encoding="utf-8").split("\n")]
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments that exercise the rules: labels, dates, periods, units, tabs.
FRAGMENTS = st.sampled_from(
    [
        "一、",
        "二、主要任务",
        "（一）",
        "（二）",
        "1.",
        "2、",
        "（1）",
        "①",
        "。",
        "；",
        "，",
        "：",
        "\t",
        "\n",
        "2024年",
        "底前",
        "6月",
        "至",
        "2025-2026年",
        "每月",
        "每季度",
        "至少",
        "1次",
        "双周",
        "每年6月30日",
        "区公安分局",
        "区建管委",
        "、",
        "要",
        "会同",
        "配合",
        "由",
        "牵头单位：",
        "组长：",
        "办公室设在",
        "附件1",
        "30%",
        "2-3家",
        "培树",
        "《",
        "》",
        "〔2023〕",
        "(",
        ")",
        "序号",
        "牵头单位",
        "完成时间",
    ]
)


def _check(result: dict) -> None:
    json.dumps(result, ensure_ascii=False)
    assert set(result) == {"title", "period", "leading_group", "goals", "tasks", "recurring", "source"}


@PROFILE
@given(st.text())
def test_arbitrary_text(text):
    with contextlib.suppress(PlanParseError):
        _check(parse_plan_text(text))


@PROFILE
@given(st.lists(FRAGMENTS, max_size=60).map("".join))
def test_rule_fragments(text):
    with contextlib.suppress(PlanParseError):
        _check(parse_plan_text(text))


@PROFILE
@given(st.lists(st.sampled_from(PLAN_LINES), max_size=40).map("\n".join))
def test_shuffled_plan_lines(text):
    with contextlib.suppress(PlanParseError):
        _check(parse_plan_text(text))


@PROFILE
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    with contextlib.suppress(PlanParseError):
        _check(parse_plan_bytes(data))


@PROFILE
@given(st.binary(max_size=300))
def test_bytes_behind_a_zip_signature(data):
    with contextlib.suppress(PlanParseError):
        _check(parse_plan_bytes(b"PK\x03\x04" + data, "x.docx"))
