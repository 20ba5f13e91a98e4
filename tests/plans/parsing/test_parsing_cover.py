"""A cover notice (印发通知) in front of a sample plan: the plan's title is the
《…》 title, the notice's signature date is no goal, its reporting
instructions become plan-level goals/duties, and the plan reads as without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhiben.plans.parsing import parse_plan_text
from zhiben.plans.parsing.blocks import Paragraph
from zhiben.plans.parsing.cover import split_cover

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"
HEALTH_TITLE = "虹口区卫生健康系统安全生产治本攻坚三年行动方案（2024-2026年）"

NOTICE = """上海市虹口区卫生健康委员会文件
虹卫〔2024〕12号
关于印发《{title}》的通知
各医疗卫生单位、委机关各科室：
现将《{title}》印发给你们，请结合实际，认真贯彻落实。请于2024年6月30日前报送本单位子方案；每季度报送一次工作进展，每半年报送阶段性总结。
上海市虹口区卫生健康委员会
2024年5月10日
（此件公开发布）
"""


def plan(name: str) -> str:
    return (PLANS_DIR / f"{name}.txt").read_text(encoding="utf-8")


def _body_of(result: dict) -> dict:
    return {key: result[key] for key in ("period", "leading_group", "tasks")}


@pytest.mark.parametrize("name", ["health", "commerce", "ecology"])
def test_a_notice_before_a_sample_plan(name):
    alone = parse_plan_text(plan(name))
    title = alone["title"]
    result = parse_plan_text(NOTICE.format(title=title) + "\n" + plan(name))
    assert result["title"] == title
    assert _body_of(result) == _body_of(alone)
    assert result["goals"][0]["deadline"] == "2024-06-30"
    assert "报送本单位子方案" in result["goals"][0]["text"]
    assert result["goals"][1:] == alone["goals"]
    assert "2024-05-10" not in [goal["deadline"] for goal in result["goals"]]
    notice_duties = [(d["period"], d["times"], d["text"]) for d in result["recurring"][:2]]
    assert notice_duties == [("quarter", 1, "每季度报送一次工作进展"), ("half_year", 1, "每半年报送阶段性总结")]
    assert result["recurring"][2:] == alone["recurring"]


def test_a_notice_whose_plan_does_not_repeat_its_title():
    text = plan("health").split("\n", 3)[3]  # drop the two title lines (and the blank between)
    assert text.startswith("为认真贯彻落实")
    notice = NOTICE.format(title=HEALTH_TITLE).replace("2024年5月10日", "二〇二四年五月十日")
    result = parse_plan_text(notice + text)
    alone = parse_plan_text(plan("health"))
    assert result["title"] == HEALTH_TITLE
    assert _body_of(result) == _body_of(alone)
    assert [g["deadline"] for g in result["goals"]] == ["2024-06-30", "2024-12-31", "2025-12-31", "2026-12-31"]


def test_a_wrapped_heading_and_no_letterhead():
    notice = (
        "关于印发《虹口区卫生健康系统安全生产治本攻坚\n三年行动方案（2024-2026年）》的通知\n"
        "各单位：\n现将方案印发给你们，请认真贯彻执行。\n区卫生健康委\n2024年5月10日\n"
    )
    result = parse_plan_text(notice + plan("health"))
    assert result["title"] == HEALTH_TITLE
    assert result["goals"] == parse_plan_text(plan("health"))["goals"]
    assert len(result["tasks"]) == 11


def test_split_cover_keeps_only_the_notice_body():
    blocks = [Paragraph(line) for line in NOTICE.format(title=HEALTH_TITLE).strip().split("\n")]
    blocks += [Paragraph("虹口区卫生健康系统安全生产治本攻坚"), Paragraph("三年行动方案（2024-2026年）")]
    cover, rest = split_cover(blocks)
    assert cover is not None and cover.title == HEALTH_TITLE
    assert cover.body[0].startswith("现将《") and "二〇" not in "".join(cover.body)
    assert all("2024年5月10日" not in line and "此件公开发布" not in line for line in cover.body)
    assert [b.text for b in rest] == ["虹口区卫生健康系统安全生产治本攻坚", "三年行动方案（2024-2026年）"]


def test_a_plan_that_only_cites_a_notice_has_no_cover():
    text = "某某方案\n根据《关于印发〈上海市方案〉的通知》要求，制定本方案。\n一、主要任务\n1.开展排查。"
    cover, _rest = split_cover([Paragraph(line) for line in text.split("\n")])
    assert cover is None
    assert parse_plan_text(plan("economy"))["title"] == "虹口区经济系统安全生产治本攻坚三年行动方案（2024-2026年）"
