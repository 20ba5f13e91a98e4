"""Odd documents: the parser never raises anything but PlanParseError, and says
clearly what it found (an empty result is a valid result)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhiben.plans.parsing import PlanParseError, parse_plan_bytes, parse_plan_file, parse_plan_text

DATA_PLANS = Path(__file__).resolve().parents[3] / "data" / "plans"
SHARED_PLANS = Path("/work/shared/plans")

COVER = (
    "关于印发《某区燃气安全专项整治方案》的通知\n"
    "各街道、各有关单位：\n"
    "现将《某区燃气安全专项整治方案》印发给你们，请认真贯彻落实，每季度末报送进展。\n"
    "某区安委办\n2024年3月1日\n"
)


@pytest.mark.parametrize("path", sorted(DATA_PLANS.glob("*.txt")), ids=lambda p: p.stem)
def test_every_sample_plan_parses_with_tasks(path):
    result = parse_plan_file(path)
    assert result["title"] and result["tasks"]
    assert result["period"] == {"start": "2024-01-01", "end": "2026-12-31"}
    shared = SHARED_PLANS / path.name
    if shared.exists():  # the district's copy is the same plan
        assert parse_plan_file(shared) == result


@pytest.mark.parametrize("text", ["", " \n\t\n\u3000\n", "\t\n\t\t\n", "\ufeff", "\u200b\n\u200b"])
def test_empty_documents_are_refused_in_chinese(text):
    with pytest.raises(PlanParseError, match="文件为空"):
        parse_plan_text(text)
    with pytest.raises(PlanParseError, match="文件为空"):
        parse_plan_bytes(text.encode("utf-8"), "plan.txt")


def test_only_a_cover_notice():
    result = parse_plan_text(COVER)
    assert result["title"] == "某区燃气安全专项整治方案"
    assert result["tasks"] == []
    # the notice's own reporting instruction is a plan-level duty
    assert [(d["period"], d.get("at_period_end")) for d in result["recurring"]] == [("quarter", True)]


@pytest.mark.parametrize(
    "table",
    [
        "序号\t重点任务\t具体措施\t牵头单位\t完成时限\n1\t开展排查\t全面排查隐患。\t区应急局\t2024年6月底前\n",
        "| 序号 | 重点任务 | 具体措施 | 牵头单位 | 完成时限 |\n|---|---|---|---|---|\n"
        "| 1 | 开展排查 | 全面排查隐患。 | 区应急局 | 2024年6月底前 |\n",
        "序号  重点任务  具体措施        牵头单位  完成时限\n1     开展排查  全面排查隐患。  区应急局  2024年6月底前\n",
    ],
    ids=["tabs", "pipes", "spaces"],
)
def test_only_a_table(table):
    result = parse_plan_text(table)
    (task,) = result["tasks"]
    assert (task["number"], task["title"], task["text"]) == ("1", "开展排查", "全面排查隐患。")
    assert task["lead_units"] == ["区应急局"]
    assert [d["date"] for d in task["deadlines"]] == ["2024-06-30"]
    assert result["period"] == {"start": None, "end": None}


def test_a_megabyte_of_repeated_lines():
    line = "1.开展燃气安全排查。区应急局牵头，每月开展一次检查，2024年6月底前完成。\n"
    copies = 1024 * 1024 // len(line.encode("utf-8"))
    result = parse_plan_text("某区方案（2024-2026年）\n一、主要任务\n" + line * copies)
    # every repeated "1." is an item of its own: nothing is lost or merged
    assert len(result["tasks"]) == copies
    assert all(t["lead_units"] == ["区应急局"] for t in result["tasks"])


def test_a_megabyte_without_structure():
    result = parse_plan_text("开展检查。\n" * 65536)
    assert result["tasks"] == [] and result["goals"] == [] and result["recurring"] == []


def test_a_long_table_of_wrapped_rows():
    rows = "| 1 | 开展排查， | 区应急局 | 2024年6月 |\n" + "|  | 继续排查， |  |  |\n" * 5000
    result = parse_plan_text("| 序号 | 重点任务 | 牵头单位 | 完成时限 |\n" + rows)
    (task,) = result["tasks"]
    assert task["title"].startswith("开展排查，继续排查，")
    assert task["lead_units"] == ["区应急局"]


def test_full_width_digits_read_like_ascii():
    full = "某区方案（２０２４－２０２６年）\n一、主要任务\n１．开展排查。区应急局牵头，每月开展１次检查，２０２４年６月底前完成。\n"
    ascii_ = "某区方案（2024-2026年）\n一、主要任务\n1.开展排查。区应急局牵头，每月开展1次检查，2024年6月底前完成。\n"
    assert parse_plan_text(full)["tasks"] == parse_plan_text(ascii_)["tasks"]
    (task,) = parse_plan_text(full)["tasks"]
    assert [d["date"] for d in task["deadlines"]] == ["2024-06-30"]
    assert parse_plan_text(full)["period"] == {"start": "2024-01-01", "end": "2026-12-31"}


def test_traditional_characters_keep_structure_dates_and_frequencies():
    """Traditional text is read as written: outline, dates and frequencies work;
    unit roles (牽頭/配合) are Simplified words and are not recognised (documented)."""
    text = (
        "某區燃氣安全專項整治方案（2024-2026年）\n一、主要任務\n"
        "1.開展燃氣安全排查。區應急局牽頭，每月開展一次檢查，2024年6月底前完成。\n"
        "2.推進消防通道整治。每季度至少組織一次演練，2025年底前完成。\n"
    )
    result = parse_plan_text(text)
    assert [t["title"] for t in result["tasks"]] == ["開展燃氣安全排查", "推進消防通道整治"]
    assert [[d["date"] for d in t["deadlines"]] for t in result["tasks"]] == [["2024-06-30"], ["2025-12-31"]]
    assert [[d["period"] for d in t["recurring"]] for t in result["tasks"]] == [["month"], ["quarter"]]
    assert result["tasks"][0]["lead_units"] == []


@pytest.mark.parametrize(
    "text",
    ["一、\n（一）\n1.\n2.\n", "附件\n附件1\n", "|\n||\n|||\n", "  \u3000  \n序号  牵头单位  任务\n"],
)
def test_fragments_give_an_empty_result(text):
    result = parse_plan_text(text)
    assert result["tasks"] == []
