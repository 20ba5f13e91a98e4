"""Deadline rules (zhiben.plans.parsing.dates) on real plan sentences and variants."""

from __future__ import annotations

import pytest

from zhiben.plans.parsing.dates import extract_deadlines, plan_period
from zhiben.plans.parsing.textnorm import clean_line


def dates(text: str) -> list[str]:
    return [d["date"] for d in extract_deadlines(text)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # real sentences
        ("要于2024年底前建立完善道路运输企业退出机制", ["2024-12-31"]),
        ("到2024年底，基本消除2023年及以前排查发现的重大事故隐患存量", ["2024-12-31"]),
        ("于2025年6月前建立相关行业、领域交通安全隐患和风险分级管控机制", ["2025-06-30"]),
        ("（一）2024年3月底前，制定本区商务领域安全生产治本攻坚三年行动方案", ["2024-03-31"]),
        ("于2024年内完成道路交通安全专业委员会及办公室实体化运作", ["2024-12-31"]),
        ("治本攻坚三年行动分为四个阶段，到2026年12底前完成。", ["2026-12-31"]),  # 月 missing
        ("力争于2025年底实现交通事故应急救援工作制度化", ["2025-12-31"]),
        ("2025年底，推动照单逐条整改销号", ["2025-12-31"]),
        ("2024年完成《虹口区突发环境事件应急预案》修订工作。", ["2024-12-31"]),
        ("力争2026年实现学校周边道路交通安全有序", ["2026-12-31"]),
        ("2024年前，借助“一网统管”平台建设", ["2024-12-31"]),  # inclusive reading of "前"
        ("（二）全面排查阶段（2024年5月至7月）。", ["2024-07-31"]),
        ("（三）集中整治阶段（2024年8月至2026年8月）。", ["2026-08-31"]),
        ("（四）巩固提升阶段（2026年9月至12月）。", ["2026-12-31"]),
        ("（一）动员部署阶段（2024年4月）。", ["2024-04-30"]),
        ("2025-2026年，总结经验做法，形成长效工作机制", ["2026-12-31"]),
        # variants
        ("于2025年6月30日前完成整改", ["2025-06-30"]),
        ("2025年至2026年，全面推广", ["2026-12-31"]),
        ("即日起至2025年12月底开展专项整治", ["2025-12-31"]),
        ("2024年年底前完成", ["2024-12-31"]),
        ("2024年末基本建成", ["2024-12-31"]),
        ("2024 年 底前完成", ["2024-12-31"]),
        ("2024年上半年完成排查", ["2024-06-30"]),
        ("2024年第三季度末前完成", ["2024-09-30"]),
        ("2024年6月中旬前完成", ["2024-06-20"]),
        ("2024年2月底前完成", ["2024-02-29"]),  # leap year
        ("2024年3月底前完成排查，6月底前完成整改", ["2024-03-31", "2024-06-30"]),
    ],
)
def test_deadline_readings(sentence, expected):
    assert dates(sentence) == expected


def test_full_width_digits_are_folded_before_the_rules_run():
    assert dates(clean_line("于２０２４年３月底前完成")) == ["2024-03-31"]


def test_month_before_is_read_as_end_of_that_month():
    """Documented choice: "2025年6月前" = by 2025-06-30, like "6月底前"."""
    assert dates("2025年6月前建立") == dates("2025年6月底前建立") == ["2025-06-30"]


@pytest.mark.parametrize(
    "sentence",
    [
        "基本消除2023年及以前排查发现的重大事故隐患存量",
        "2023年前排查发现的重大事故隐患",
        "2024年起，进一步加强电动自行车废铅酸电池收集过程中的环境污染防治",
        "2024年起每年至少组织开展1次疏散逃生演练",
        "自2024年4月起开展",
        "2024年以来，事故总量下降",
        "较2023年下降10%",
        "截至2023年底，累计排查",
        "2024年度工作总结",
        "每年6月30日、12月31日前向市生态环境局分别上报半年度、年度工作总结",
        "根据《上海市安全生产治本攻坚三年行动实施方案（2024-2026年）》",
        "（沪安委会〔2023〕3号）",
        "1年内不得作为评优表彰、政策试点和项目扶持对象",
        "名下建筑垃圾车一年内三次超载",
    ],
)
def test_not_deadlines(sentence):
    assert dates(sentence) == []


def test_yearly_milestones_each_get_year_end():
    text = "2024年，配合市生态环境局培树生态环境领域典型企业；2025年，在市生态环境局指导下在本区培树2-3家生态环境领域典型企业。"
    result = extract_deadlines(text)
    assert [d["date"] for d in result] == ["2024-12-31", "2025-12-31"]
    assert result[0]["text"] == "2024年，配合市生态环境局培树生态环境领域典型企业"
    assert result[1]["text"].startswith("2025年，在市生态环境局指导下")


def test_milestones_in_consecutive_sentences():
    text = "2024年对照创建标准，开展自查自评。2025年全区商务领域安全发展水平明显提升。2026年基本达标，带动提升商务领域安全风险监测预警能力。"
    assert dates(text) == ["2024-12-31", "2025-12-31", "2026-12-31"]


def test_glued_milestones_from_a_table_cell():
    text = "2024年：全面开展本市核技术利用单位等领域辐射环境风险隐患排查工作2025年：对上一年排查出的问题进行“回头看”"
    result = extract_deadlines(text)
    assert [d["date"] for d in result] == ["2024-12-31", "2025-12-31"]
    assert result[0]["text"] == "2024年：全面开展本市核技术利用单位等领域辐射环境风险隐患排查工作"
    assert result[1]["text"].startswith("2025年：对上一年")


def test_several_dates_in_one_sentence_split_into_segments():
    text = (
        "对全量待整改隐患力争于2024年底前至少完成30%治理目标，2025年底前至少完成70%治理目标，2026年底前全量完成治理。"
    )
    assert extract_deadlines(text) == [
        {"date": "2024-12-31", "text": "对全量待整改隐患力争于2024年底前至少完成30%治理目标"},
        {"date": "2025-12-31", "text": "2025年底前至少完成70%治理目标"},
        {"date": "2026-12-31", "text": "2026年底前全量完成治理"},
    ]


def test_segment_text_takes_context_when_thin():
    assert extract_deadlines("治本攻坚三年行动分为四个阶段，到2026年12底前完成。")[0]["text"] == (
        "治本攻坚三年行动分为四个阶段，到2026年12底前完成"
    )


def test_invalid_dates_are_dropped():
    assert dates("2024年13月底前完成") == []
    assert dates("2024年2月30日前完成") == []


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("虹口区商务领域安全生产治本攻坚三年行动方案（2024-2026年）", ("2024-01-01", "2026-12-31")),
        ("虹口区建筑施工领域安全生产治本攻坚三年行动子方案(2024-2026年)", ("2024-01-01", "2026-12-31")),
        ("某区安全生产治本攻坚三年行动方案（2024—2026年）", ("2024-01-01", "2026-12-31")),
        ("某区2024年安全生产工作要点", ("2024-01-01", "2024-12-31")),
        ("某区安全生产工作方案", (None, None)),
    ],
)
def test_plan_period_from_title(title, expected):
    period = plan_period(title)
    assert (period["start"], period["end"]) == expected


def test_plan_period_ignores_cited_titles_in_the_fallback():
    preamble = "按照《上海市安全生产治本攻坚三年行动方案（2024—2026年）》要求，制定本方案。"
    assert plan_period("某区安全生产工作方案", preamble) == {"start": None, "end": None}
    assert plan_period("某区安全生产工作方案", "本次行动时间为2024年至2025年。") == {
        "start": "2024-01-01",
        "end": "2025-12-31",
    }


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # a range of whole years that names the campaign's period is not a deadline
        ("开展安全生产治本攻坚三年行动（2024—2026年），全面排查整治", []),
        ("在2024-2026年期间持续开展专项整治", []),
        ("2024年至2026年期间，持续开展专项整治", []),
        ("统筹推进2024—2026年三年行动", []),
        ("2024-2026年的安全生产工作要点", []),
        ("三年行动方案(2024-2026年)", []),
        # … while a range that opens a step gives the step's deadline
        ("2025年至2026年，梳理园林绿化建设工程领域典型案例", ["2026-12-31"]),
        ("2024—2026年，每年开展一次评估", ["2026-12-31"]),
        # "2024年，6月底前…": one date
        ("2024年，6月底前完成风险隐患排查", ["2024-06-30"]),
        ("2024年，12月底前完成清单；2025年6月底前完成整改", ["2024-12-31", "2025-06-30"]),
        ("2025年：3月上旬完成部署", ["2025-03-10"]),
        # 年底前 / 年内 take the year of a dated clause before them in the sentence
        ("2024年6月底前完成排查，年底前完成整改", ["2024-06-30", "2024-12-31"]),
        ("2025年3月启动，年内全部完成", ["2025-03-31", "2025-12-31"]),
        ("年底前完成整改", []),  # no year to take: not dated
        ("三年内完成整改，今年年底前完成自查", []),
        ("2024年6月中旬完成部署", ["2024-06-20"]),
        ("2024年6月上旬完成部署", ["2024-06-10"]),
    ],
)
def test_periods_months_and_year_ends(sentence, expected):
    assert dates(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("2024年6月底前完成排查", ["2024-06-30"]),
        ("2025年2月底前完成", ["2025-02-28"]),
        ("2024年2月底前完成", ["2024-02-29"]),
        ("2024年3月上旬完成部署", ["2024-03-10"]),
        ("2024年5月中旬前完成", ["2024-05-20"]),
        ("2024年5月下旬完成验收", ["2024-05-31"]),
        ("2024年内完成整改", ["2024-12-31"]),
        ("2024年底前完成", ["2024-12-31"]),
        ("2024年年内完成", ["2024-12-31"]),
        ("2025年，6月底前完成排查，年底前完成验收", ["2025-06-30", "2025-12-31"]),
        ("年内完成整改", []),  # no year in the sentence
        # ranges of whole years naming the campaign are periods
        ("治本攻坚三年行动（2024—2026年）", []),
        ("2024年—2026年期间持续开展整治", []),
    ],
)
def test_issue_date_forms(sentence, expected):
    assert dates(sentence) == expected
