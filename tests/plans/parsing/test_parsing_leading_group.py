"""Leading-group rules (zhiben.plans.parsing.leading_group) and their plan-level use."""

from __future__ import annotations

from zhiben.plans.parsing import parse_plan_text
from zhiben.plans.parsing.leading_group import parse_leading_group


def members(text: str) -> list[tuple[str, str]]:
    return [(m["role"], m["name"]) for m in parse_leading_group(text)["members"]]


def test_labelled_roles_one_entry_per_person():
    text = "组长：伍志勇\n常务副组长：莫文定\n副组长：田晶、朱晓忆"
    assert members(text) == [("组长", "伍志勇"), ("常务副组长", "莫文定"), ("副组长", "田晶"), ("副组长", "朱晓忆")]


def test_member_list_with_trailing_description():
    text = "成员：办公室、商业发展科、贸易促进科等相关科室负责人为领导小组成员。"
    assert members(text) == [("成员", "办公室"), ("成员", "商业发展科"), ("成员", "贸易促进科")]


def test_members_named_before_the_role():
    assert members("局各科室、执法大队和环境监测站等相关科室（部门）负责人任组员。") == [
        ("成员", "局各科室"),
        ("成员", "执法大队"),
        ("成员", "环境监测站"),
    ]
    assert members("各科室、基层单位的负责人为领导小组成员。") == [("成员", "各科室"), ("成员", "基层单位")]


def test_roles_assigned_with_you_and_danren():
    text = "成立区安全生产治本攻坚三年行动领导小组，由区长任组长，分管副区长担任副组长，区应急局、区公安分局主要负责同志为成员。"
    group = parse_leading_group(text)
    assert group["name"] == "区安全生产治本攻坚三年行动领导小组"
    assert members(text) == [("组长", "区长"), ("副组长", "分管副区长"), ("成员", "区应急局"), ("成员", "区公安分局")]


def test_members_label_variant_and_half_width_colon():
    assert members("领导小组成员:区应急局、区建管委") == [("成员", "区应急局"), ("成员", "区建管委")]


def test_group_name_drops_alias_and_founding_verb():
    text = "建立我委安全生产治本攻坚三年行动（以下简称“三年行动”）领导小组，全面统筹推进。"
    assert parse_leading_group(text)["name"] == "我委安全生产治本攻坚三年行动领导小组"


def test_office_phrasings():
    assert parse_leading_group("“三年行动”领导小组办公室设在市场管理科。")["office"] == "市场管理科"
    assert parse_leading_group("办公室设在局辐射与应急管理科，负责日常工作。")["office"] == "局辐射与应急管理科"
    assert parse_leading_group("三年行动的日常组织、协调工作由防护工程科承担。")["office"] == "防护工程科"
    assert parse_leading_group("工作专班设在区应急局。")["office"] == "区应急局"
    assert parse_leading_group("防护工程科负责工作专班日常工作。")["office"] == "防护工程科"
    assert parse_leading_group("加强组织领导。")["office"] is None


def test_cited_group_elsewhere_in_the_plan_is_not_the_plans_group():
    text = """某区建筑施工领域方案
根据虹口区安全生产治本攻坚三年行动领导小组办公室《关于制定子方案的工作提示》，制定本方案。
一、主要任务
1.开展排查。
"""
    assert parse_plan_text(text)["leading_group"] == {"name": None, "members": [], "office": None}


def test_group_found_outside_an_organisation_part():
    text = """某区方案
一、总体要求
成立区专项整治领导小组。
组长：张三
副组长：李四
二、主要任务
1.开展排查。
"""
    group = parse_plan_text(text)["leading_group"]
    assert group["name"] == "区专项整治领导小组"
    assert [(m["role"], m["name"]) for m in group["members"]] == [("组长", "张三"), ("副组长", "李四")]


def test_an_outline_label_is_not_part_of_a_member_name():
    # the missing-label repair numbers such a paragraph "1."
    group = parse_leading_group("1.各科室、基层单位的负责人为领导小组成员。")
    assert group["members"] == [{"role": "成员", "name": "各科室"}, {"role": "成员", "name": "基层单位"}]
