"""Property tests: what the parser promises for *any* input.

* it raises nothing but :class:`PlanParseError` (with a Chinese message);
* it is deterministic;
* every piece of the result is well-formed (see :func:`check_result`): texts
  are non-empty, quoted fragments are bounded and taken from the input, dates
  are real dates of this century, recurring duties use the documented keys and
  values, unit and member names are written in the input;
* appending unrelated paragraphs at the end loses no task.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiben.plans.parsing import PlanParseError, parse_plan_bytes, parse_plan_text
from zhiben.plans.parsing.spans import MAX_FRAGMENT
from zhiben.plans.parsing.textnorm import normalize_text

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"
PLAN_LINES = [line for path in sorted(PLANS_DIR.glob("*.txt")) for line in path.read_text(encoding="utf-8").split("\n")]
PROFILE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Fragments that exercise the rules: labels, dates, periods, units, tabs.
FRAGMENTS = st.sampled_from(
    [
        "一、",
        "二、主要任务",
        "三、组织领导",
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
        "30日",
        "0日",
        "99日",
        "至",
        "2025-2026年",
        "每月",
        "每周",
        "每年",
        "每季度",
        "每旬",
        "每两周",
        "至少",
        "1次",
        "3-1次",
        "0次",
        "双周",
        "逢节假日",
        "节假日前",
        "每年6月30日",
        "2月30日",
        "13月",
        "年底前",
        "2024年起",
        "区公安分局",
        "区建管委",
        "、",
        "要",
        "会同",
        "配合",
        "由",
        "牵头",
        "牵头单位：",
        "组长：",
        "成员：",
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
        "关于印发《",
        "》的通知",
        "2024年5月10日",
        "（此件公开发布）",
    ]
)

# Paragraphs that carry no label, date, duty, target or unit.
NOISE = st.lists(
    st.sampled_from(["特此通知。", "请认真贯彻执行。", "此页无正文", "抄送：存档", "（完）", "以上内容请遵照执行。"]),
    min_size=1,
    max_size=4,
)

TOP_KEYS = {"title", "period", "leading_group", "goals", "tasks", "recurring", "source"}
TASK_KEYS = {
    "number",
    "section",
    "title",
    "text",
    "lead_units",
    "participating_units",
    "deadlines",
    "recurring",
    "targets",
}
PERIODS = {"week", "month", "quarter", "half_year", "year", "holiday"}
DUTY_KEYS = {"period", "every", "times", "due_day", "text"}
DUTY_EXTRAS = {"dates", "times_max", "at_period_end", "weekday", "ten_day_cycle", "from_year"}
TARGET_UNITS = {"%", *"家个所处项条座台套支名件辆户栋幢米", "人次", "公里", "千米"}
ROLES = {"组长", "常务副组长", "副组长", "成员"}
EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2099, 12, 31)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ANNUAL_DATE = re.compile(r"^(\d{2})-(\d{2})$")
# Text is compared with all whitespace removed: lines are joined, tabs split
# table cells and stray spaces inside Chinese text are dropped.
SPACE = re.compile(r"\s+")
LABEL = re.compile(r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十\d]{1,3}[）)]|\d{1,3}[.、]|[①-⑳])")
ALIAS = re.compile(r"[（(]以下简称[^）)]*[）)]")


def _compact(text: str) -> str:
    return SPACE.sub("", text)


def _day(value: str) -> dt.date:
    assert isinstance(value, str) and ISO_DATE.match(value), value
    day = dt.date.fromisoformat(value)
    assert EARLIEST <= day <= LATEST, value
    return day


def _quoted(text: str, source: str | None) -> None:
    """A fragment quoted from the input: non-empty, bounded, written there."""
    assert isinstance(text, str) and text.strip(), repr(text)
    assert len(text) <= MAX_FRAGMENT, len(text)
    if source is not None:
        assert _compact(text) in source, text


def _named(name: str, source: str | None) -> None:
    """A unit or person named in the input (a group's name may be written
    around an alias: "建立X（以下简称“Y”）领导小组" → "X领导小组")."""
    assert isinstance(name, str) and name.strip() and name == name.strip(), repr(name)
    if source is not None:
        assert _compact(name) in source or _compact(name) in ALIAS.sub("", source), name


def _check_duty(duty: dict, source: str | None) -> None:
    assert DUTY_KEYS <= set(duty) <= DUTY_KEYS | DUTY_EXTRAS, duty
    assert list(duty)[:5] == ["period", "every", "times", "due_day", "text"]
    assert duty["period"] in PERIODS
    assert type(duty["every"]) is int and duty["every"] >= 1
    assert type(duty["times"]) is int and duty["times"] >= 1
    assert duty["due_day"] is None or (type(duty["due_day"]) is int and 1 <= duty["due_day"] <= 31)
    if duty["due_day"] is not None:
        assert duty["period"] == "month"
    if "dates" in duty:
        assert duty["period"] == "year" and duty["dates"]
        assert len(set(duty["dates"])) == len(duty["dates"]) == duty["times"], duty
        for value in duty["dates"]:
            m = ANNUAL_DATE.match(value)
            assert m, value
            month, day = int(m.group(1)), int(m.group(2))
            assert 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2024, month)[1], value
    if "times_max" in duty:
        assert type(duty["times_max"]) is int and duty["times_max"] > duty["times"], duty
    if "weekday" in duty:
        assert duty["period"] == "week" and duty["weekday"] in range(1, 8)
    if "ten_day_cycle" in duty:
        assert duty["ten_day_cycle"] is True and duty["period"] == "month" and duty["times"] % 3 == 0
    if "at_period_end" in duty:
        assert duty["at_period_end"] is True
    if "from_year" in duty:
        assert type(duty["from_year"]) is int and EARLIEST.year <= duty["from_year"] <= LATEST.year
    _quoted(duty["text"], source)


def _check_deadline(deadline: dict, source: str | None) -> None:
    assert set(deadline) == {"date", "text"}
    _day(deadline["date"])
    _quoted(deadline["text"], source)


def _check_target(target: dict, source: str | None) -> None:
    assert {"value", "unit", "date", "text"} <= set(target) <= {"value", "value_max", "unit", "date", "text"}
    assert type(target["value"]) in (int, float) and target["value"] >= 0
    if "value_max" in target:
        assert type(target["value_max"]) in (int, float) and target["value_max"] != target["value"]
    assert target["unit"] in TARGET_UNITS
    if target["date"] is not None:
        _day(target["date"])
    _quoted(target["text"], source)


def _check_task(task: dict, source: str | None) -> None:
    assert set(task) == TASK_KEYS
    assert isinstance(task["number"], str) and isinstance(task["section"], str)
    assert isinstance(task["text"], str) and task["text"].strip()
    _named(task["title"], source)
    if source is not None:
        # Paragraphs of the task, each under the label the parser prints
        # (tables between them and repaired labels are not in the text).
        for line in task["text"].split("\n"):
            assert _compact(LABEL.sub("", line)) in source, line
    for key in ("lead_units", "participating_units"):
        assert isinstance(task[key], list) and len(set(task[key])) == len(task[key]), task[key]
        for name in task[key]:
            _named(name, source)
    assert not set(task["lead_units"]) & set(task["participating_units"])
    dates = [d["date"] for d in task["deadlines"]]
    for deadline in task["deadlines"]:
        _check_deadline(deadline, source)
    assert len({(d["date"], d["text"]) for d in task["deadlines"]}) == len(dates)
    for duty in task["recurring"]:
        _check_duty(duty, source)
    for target in task["targets"]:
        _check_target(target, source)


def _check_group(group: dict, source: str | None) -> None:
    assert set(group) == {"name", "members", "office"}
    for key in ("name", "office"):
        if group[key] is not None:
            _named(group[key], source)
    for member in group["members"]:
        assert set(member) == {"role", "name"} and member["role"] in ROLES
        _named(member["name"], source)
    assert len({(m["role"], m["name"]) for m in group["members"]}) == len(group["members"])


def check_result(result: dict, text: str | None = None) -> None:
    """Every promise of the result; ``text`` (the input, when it was text)
    is where quoted fragments and names must come from."""
    json.dumps(result, ensure_ascii=False)
    source = _compact(normalize_text(text)) if text is not None else None
    assert set(result) == TOP_KEYS
    assert result["title"] is None or isinstance(result["title"], str)
    period = result["period"]
    assert set(period) == {"start", "end"}
    assert (period["start"] is None) == (period["end"] is None)
    if period["start"] is not None:
        assert _day(period["start"]) <= _day(period["end"])
    _check_group(result["leading_group"], source)
    for goal in result["goals"]:
        assert set(goal) == {"deadline", "text"}
        _day(goal["deadline"])
        _quoted(goal["text"], source)
    for duty in result["recurring"]:
        _check_duty(duty, source)
    for task in result["tasks"]:
        _check_task(task, source)
    assert re.fullmatch(r"[0-9a-f]{64}", result["source"]["sha256"])
    assert type(result["source"]["chars"]) is int and result["source"]["chars"] > 0


def parse_or_refuse(parse, *args) -> dict | None:
    """The result, or None when the parser refused with its own error."""
    try:
        return parse(*args)
    except PlanParseError as exc:
        assert str(exc).strip() and re.search(r"[\u4e00-\u9fff]", str(exc)), repr(exc)
        return None


def check_text(text: str) -> dict | None:
    result = parse_or_refuse(parse_plan_text, text)
    if result is not None:
        check_result(result, text)
        assert parse_plan_text(text) == result  # deterministic
    return result


def _keys(result: dict) -> list[tuple[str, str]]:
    return [(task["number"], task["title"]) for task in result["tasks"]]


@pytest.mark.parametrize("path", sorted(PLANS_DIR.glob("*.txt")), ids=lambda p: p.stem)
def test_every_sample_plan_keeps_the_promises(path):
    text = path.read_text(encoding="utf-8")
    result = check_text(text)
    assert result is not None and result["tasks"]


@PROFILE
@given(st.text())
def test_arbitrary_text(text):
    check_text(text)


@PROFILE
@given(st.lists(FRAGMENTS, max_size=60).map("".join))
def test_rule_fragments(text):
    check_text(text)


@PROFILE
@given(st.lists(st.sampled_from(PLAN_LINES), max_size=40).map("\n".join))
def test_shuffled_plan_lines(text):
    check_text(text)


@FEW
@given(st.lists(st.sampled_from(PLAN_LINES), min_size=1, max_size=40).map("\n".join), NOISE)
def test_trailing_noise_loses_no_task(text, noise):
    result = check_text(text)
    if result is None:
        return
    noisy = check_text("\n".join([text, *noise]))
    assert noisy is not None
    kept = _keys(noisy)
    assert all(key in kept for key in _keys(result))


@FEW
@given(st.lists(st.sampled_from(PLAN_LINES), min_size=1, max_size=40).map("\n".join))
def test_utf8_bytes_read_like_the_text(text):
    result = parse_or_refuse(parse_plan_text, text)
    if result is not None:
        assert parse_plan_bytes(text.encode("utf-8"), "x.txt") == result


@PROFILE
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data):
    result = parse_or_refuse(parse_plan_bytes, data)
    if result is not None:
        check_result(result)


@FEW
@given(
    st.sampled_from(
        [b"%PDF-1.4\n", b"<!DOCTYPE html><html><head><meta charset='gbk'>", b"<html><body><table><tr><td>"]
    ),
    st.binary(max_size=600) | st.lists(FRAGMENTS, max_size=30).map(lambda parts: "".join(parts).encode("utf-8")),
)
def test_bytes_behind_a_pdf_or_html_signature(head, data):
    result = parse_or_refuse(parse_plan_bytes, head + data, "plan.html")
    if result is not None:
        check_result(result)


@PROFILE
@given(st.binary(max_size=300))
def test_bytes_behind_a_zip_signature(data):
    result = parse_or_refuse(parse_plan_bytes, b"PK\x03\x04" + data, "x.docx")
    if result is not None:
        check_result(result)


# A duty phrase with numbers drawn beyond what calendars allow.
DUTY_PHRASES = st.builds(
    lambda each, date, count, tail: f"{each}{date}{count}{tail}",
    st.sampled_from(["每年", "每月", "每周", "每季度", "每半年", "每旬", "每两周", "双周", "2024年起，每年"]),
    st.one_of(
        st.just(""),
        st.builds("{}月{}日".format, st.integers(0, 13), st.integers(0, 35)),
        st.builds("{}月{}日、{}月{}日".format, *[st.integers(0, 13), st.integers(0, 35)] * 2),
        st.builds("{}日".format, st.integers(0, 35)),
        st.sampled_from(["一", "日", "底", "末", "年底"]),
    ),
    st.one_of(st.just(""), st.builds("至少{}-{}次".format, st.integers(0, 5), st.integers(0, 5))),
    st.sampled_from(["", "前报送", "开展检查", "召开会议。"]),
)


@PROFILE
@given(
    st.lists(DUTY_PHRASES, min_size=1, max_size=4).map(
        lambda duties: "一、主要任务\n（一）加强检查。" + "，".join(duties)
    )
)
def test_duty_phrases(text):
    result = check_text(text)
    assert result is not None


def test_a_reconstructed_item_label_is_not_quoted_as_if_written():
    """Found by test_shuffled_plan_lines: a paragraph promoted to the missing item "1." (the
    next item is "2.") was quoted in a goal as "1.2024年…", a label the plan never wrote."""
    text = "\n".join(
        [
            "一、总体要求",
            "2024年底前，全面完成重点环保设施隐患排查。",
            "2.强化危险废物领域环境风险防范。",
            "二、主要任务",
            "（一）开展排查整治。",
            "1.推进隐患排查。2025年6月底前完成。",
        ]
    )
    result = check_text(text)
    assert result is not None
    goal_texts = [g["text"] for g in result["goals"]]
    assert any(t.startswith("2024年底前") for t in goal_texts), goal_texts
    assert not any(t.startswith("1.") for t in goal_texts), goal_texts


# --- 任务分工 tables typed as text -------------------------------------------------------

TABLE_HEADER = ["序号", "重点任务", "具体措施", "牵头单位", "配合单位", "完成时限"]
TABLE_CELLS = {
    "title": st.sampled_from(["开展燃气安全排查", "推进消防通道整治", "整治电动自行车违规充电", "加强培训"]),
    "measure": st.sampled_from(["全面排查隐患。", "建立台账，每月更新。", "每季度至少组织1次演练。", "落实整改"]),
    "unit": st.sampled_from(["区应急局", "区建管委", "各街道", "区市场监管局、区消防救援支队", ""]),
    "deadline": st.sampled_from(["2024年6月底前", "2025年底前", "持续推进", "逢节假日", "2024年3月上旬", ""]),
}
TABLE_ROWS = st.lists(
    st.tuples(
        TABLE_CELLS["title"], TABLE_CELLS["measure"], TABLE_CELLS["unit"], TABLE_CELLS["unit"], TABLE_CELLS["deadline"]
    ),
    min_size=1,
    max_size=6,
).map(lambda rows: [[str(n), *row] for n, row in enumerate(rows, 1)])


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _layouts(rows: list[list[str]]) -> dict[str, str]:
    table = [TABLE_HEADER, *rows]
    widths = [max(_width(r[c]) for r in table) for c in range(len(TABLE_HEADER))]
    return {
        "tabs": "".join("\t".join(r) + "\n" for r in table),
        "pipes": "".join("| " + " | ".join(r) + " |\n" for r in table),
        "spaces": "".join(
            "  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip() + "\n" for r in table
        ),
    }


@FEW
@given(TABLE_ROWS, st.sampled_from(["", "一、主要任务\n各单位按下表落实。\n"]))
def test_text_table_layouts_agree_and_keep_the_promises(rows, before):
    results = {}
    for name, table in _layouts(rows).items():
        text = "某区燃气安全专项整治方案（2024-2026年）\n" + before + table + "二、工作要求\n加强调度。\n"
        results[name] = check_text(text)
    assert results["tabs"] == results["pipes"] == results["spaces"]
    tasks = results["tabs"]["tasks"]
    assert [t["number"] for t in tasks] == [r[0] for r in rows]
    for task, row in zip(tasks, rows, strict=True):
        assert task["lead_units"] or not row[3]
