"""Recurring-duty rules (zhiben.plans.parsing.recurring)."""

from __future__ import annotations

import pytest

from zhiben.plans.parsing.recurring import find_recurring


def schedule(text: str) -> list[tuple]:
    return [(d["period"], d["every"], d["times"], d["due_day"]) for d in find_recurring(text)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # real sentences
        ("党组理论学习中心组每年安排不少于一次专题学习", [("year", 1, 1, None)]),
        ("商务委党组书记、主任每季度至少召开一次会议", [("quarter", 1, 1, None)]),
        ("原则上每月度组织一次专项督导，每半年开展一次进度评估", [("month", 1, 1, None), ("half_year", 1, 1, None)]),
        ("每月24日前向委工作专班报送工作开展情况及任务清单完成情况", [("month", 1, 1, 24)]),
        ("每月5日向市生态环境局报送上月生态环境领域安全生产风险隐患统计表", [("month", 1, 1, 5)]),
        ("每月28日前向区应急局报送工作开展情况", [("month", 1, 1, 28)]),
        ("每年至少完成2轮全覆盖隐患排查", [("year", 1, 2, None)]),
        ("推动建筑工地每半年至少组织开展1次应急演练", [("half_year", 1, 1, None)]),
        ("通过与属地街道组织开展双周查", [("week", 2, 1, None)]),
        ("在用工程由区民防管理中心会同工程管理单位落实每月一次日常检查", [("month", 1, 1, None)]),
        ("每年开展1次以上的安全防范联合检查", [("year", 1, 1, None)]),
        ("按年度开展危险废物规范化环境管理评估", [("year", 1, 1, None)]),
        ("每季度向市国动办工作专班报送工作开展情况", [("quarter", 1, 1, None)]),
        (
            "督促生产经营单位主要负责人每季度带队对本单位重大事故隐患排查整治情况至少开展1次检查",
            [("quarter", 1, 1, None)],
        ),
        # variants
        ("每两周一次", [("week", 2, 1, None)]),
        ("每2周开展一次联合检查", [("week", 2, 1, None)]),
        ("每周至少两次巡查", [("week", 1, 2, None)]),
        ("每月开展不少于3次夜查", [("month", 1, 3, None)]),
        ("每个月开展一次", [("month", 1, 1, None)]),
        ("每两个月开展一次", [("month", 2, 1, None)]),
        ("每个季度召开一次联席会议", [("quarter", 1, 1, None)]),
        ("每季开展一次", [("quarter", 1, 1, None)]),
        ("每年度开展二次演练", [("year", 1, 2, None)]),
        ("每三年开展一次评估", [("year", 3, 1, None)]),
        ("隔周开展一次", [("week", 2, 1, None)]),
        ("每月5日前报送", [("month", 1, 1, 5)]),
        ("每月24号前报送", [("month", 1, 1, 24)]),
    ],
)
def test_recurring_schedules(sentence, expected):
    assert schedule(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "把相关业务培训纳入每年各项工作计划",  # attributive
        "紧盯每一起事故调查处理",
        "逐年确定工作目标",
        "将相关工作任务纳入地区年度综合绩效考评内容",
        "名下建筑垃圾车一年内三次超载",
        "每日巡查",  # daily is outside the period enum
        "2024年底前完成",
        "按照职责分工落实",
    ],
)
def test_not_recurring(sentence):
    assert find_recurring(sentence) == []


def test_fixed_annual_dates():
    (duty,) = find_recurring("每年6月30日、12月31日前向市生态环境局分别上报半年度、年度工作总结")
    assert duty["period"] == "year"
    assert duty["dates"] == ["06-30", "12-31"]
    assert duty["times"] == 2
    assert duty["text"] == "每年6月30日、12月31日前向市生态环境局分别上报半年度、年度工作总结"


def test_annual_month_end_and_year_end():
    assert find_recurring("每年6月底前报送半年总结")[0]["dates"] == ["06-30"]
    assert find_recurring("每年年底前报送年度总结")[0]["dates"] == ["12-31"]


def test_from_year_is_kept_and_is_not_a_deadline():
    (duty,) = find_recurring("2024年起，每年至少组织开展1次疏散逃生演练，达到熟知逃生通道的目的")
    assert (duty["period"], duty["times"], duty["from_year"]) == ("year", 1, 2024)
    assert duty["text"] == "每年至少组织开展1次疏散逃生演练"


def test_extras():
    assert find_recurring("每月开展1-2次检查")[0]["times_max"] == 2
    assert find_recurring("每月底前报送")[0]["at_period_end"] is True
    assert find_recurring("每周一召开例会")[0]["weekday"] == 1
    xun = find_recurring("每旬开展一次巡查")[0]
    assert (xun["period"], xun["times"], xun["ten_day_cycle"]) == ("month", 3, True)


def test_interface_keys_first():
    duty = find_recurring("每年6月30日前报送")[0]
    assert list(duty)[:5] == ["period", "every", "times", "due_day", "text"]


def test_counts_do_not_leak_across_duties():
    assert schedule("每月巡查，每季度开展2次演练") == [("month", 1, 1, None), ("quarter", 1, 2, None)]


def test_repeated_sentence_is_one_duty():
    text = "安全检查情况每月报送区地空联办。安全检查情况每月报送区地空联办。"
    assert len(find_recurring(text)) == 1


def test_citation_is_masked():
    assert find_recurring("按照《每月安全检查办法》执行") == []


@pytest.mark.parametrize("sentence", ["每年6月0日前报送材料", "每年2月30日前报送", "每年6月99日报送"])
def test_an_annual_day_the_month_lacks_is_not_a_date(sentence):
    # "06-00" used to reach the compliance calendar, which cannot build that date.
    (duty,) = find_recurring(sentence)
    assert duty["period"] == "year" and "dates" not in duty


def test_annual_dates_stop_at_a_day_the_month_lacks():
    assert find_recurring("每年6月30日、2月30日前报送")[0]["dates"] == ["06-30"]
    assert find_recurring("每年2月29日前报送")[0]["dates"] == ["02-29"]


def test_an_annual_date_written_twice_is_one_date():
    (duty,) = find_recurring("每年1月31日、1月底开展检查")
    assert duty["dates"] == ["01-31"] and duty["times"] == 1


@pytest.mark.parametrize(("sentence", "times"), [("每月开展3-1次检查", 3), ("每月开展2-2次检查", 2)])
def test_a_reversed_or_empty_count_range_has_no_maximum(sentence, times):
    (duty,) = find_recurring(sentence)
    assert duty["times"] == times and "times_max" not in duty


def test_a_ten_day_range_counts_three_times_too():
    (duty,) = find_recurring("每旬开展1-2次巡查")
    assert (duty["period"], duty["times"], duty["times_max"], duty["ten_day_cycle"]) == ("month", 3, 6, True)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # frequencies without 每
        ("每半年至少组织一次疏散逃生演练；至少半年组织1次应急演练", [("half_year", 1, 1, None)] * 2),
        ("一年两次开展消防安全培训", [("year", 1, 2, None)]),
        ("半年一次开展安全评估", [("half_year", 1, 1, None)]),
        ("一季度一次召开安全形势分析会", [("quarter", 1, 1, None)]),
        ("一个月一次检查消防设施", [("month", 1, 1, None)]),
        ("两年一次开展风险评估", [("year", 2, 1, None)]),
        ("每年不少于2次开展应急演练", [("year", 1, 2, None)]),
        ("按季度报送工作进展", [("quarter", 1, 1, None)]),
        ("双周开展一次联合检查", [("week", 2, 1, None)]),
        # … not after a year, an ordinal or another qualifier
        ("2024年一季度两次召开会议", []),
        ("第一季度开展2次检查", []),
        ("上半年组织2次演练", []),
        ("近三年发生2次事故", []),
        ("推进治本攻坚三年行动3次部署会", []),
        ("全年开展4次", []),
    ],
)
def test_frequencies_without_mei(sentence, expected):
    assert schedule(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("逢节假日开展专项安全检查", [("holiday", 1, 1, None)]),
        ("每逢重大节日组织安全检查", [("holiday", 1, 1, None)]),
        ("逢节假日至少开展2次夜查", [("holiday", 1, 2, None)]),
        ("重要节假日期间加强值班值守", [("holiday", 1, 1, None)]),
        ("节假日前，组织开展一次安全检查", [("holiday", 1, 1, None)]),
        # a list of sensitive times is not a schedule (greening and ecology plans)
        ("强化节假日和重大活动前的安全检查", []),
        ("在节假日、重大活动和汛期等敏感时段，落实值班值守要求", []),
        ("节假日安排以国务院通知为准", []),
    ],
)
def test_holiday_occasions(sentence, expected):
    assert schedule(sentence) == expected


def test_holiday_duty_among_others_keeps_text_order():
    duties = find_recurring("每月开展一次巡查，逢节假日开展专项检查，每季度召开一次分析会。")
    assert [d["period"] for d in duties] == ["month", "holiday", "quarter"]
    assert duties[1]["text"] == "逢节假日开展专项检查"


ISSUE_FORMS = [
    ("至少半年组织1次应急演练", ("half_year", 1, 1)),
    ("一年两次开展消防安全培训", ("year", 1, 2)),
    ("每年不少于2次开展应急演练", ("year", 1, 2)),
    ("按季度报送工作进展", ("quarter", 1, 1)),
    ("逢节假日开展专项检查", ("holiday", 1, 1)),
    ("双周开展一次联合检查", ("week", 2, 1)),
]


def test_every_frequency_form_of_the_issue_reaches_the_task():
    """Through the whole parser: each form, written in a task, is that task's duty."""
    from zhiben.plans.parsing import parse_plan_text

    items = "\n".join(f"{n}.第{n}项任务。{text}。" for n, (text, _) in enumerate(ISSUE_FORMS, 1))
    result = parse_plan_text(f"某区安全生产方案（2024-2026年）\n一、主要任务\n{items}\n")
    assert [[(d["period"], d["every"], d["times"]) for d in t["recurring"]] for t in result["tasks"]] == [
        [want] for _, want in ISSUE_FORMS
    ]
