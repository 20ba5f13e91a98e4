"""The eight real plans against their hand-checked expectation files.

Each ``expected/<plan>.yaml`` was written by reading the plan, not by copying
parser output.  Structure, numbers, sections, titles, units, dates, periods
and counts must be equal; for the quoted text of deadlines, goals, recurring
duties and targets the file gives a phrase that the parser's text must contain.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from zhiben.plans.parsing import parse_plan_bytes, parse_plan_file, parse_plan_text

PLANS_DIR = Path(__file__).resolve().parents[3] / "data" / "plans"
EXPECTED_DIR = Path(__file__).resolve().parent / "expected"
PLAN_NAMES = [
    "commerce",
    "road-traffic",
    "construction",
    "ecology",
    "economy",
    "civil-defense",
    "health",
    "greening",
]


def plan_text(name: str) -> str:
    return (PLANS_DIR / f"{name}.txt").read_text(encoding="utf-8")


def plan_bytes(name: str) -> bytes:
    return (PLANS_DIR / f"{name}.txt").read_bytes()


def _expected(name: str) -> dict:
    return yaml.safe_load((EXPECTED_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=PLAN_NAMES)
def case(request):
    name = request.param
    return name, parse_plan_text(plan_text(name)), _expected(name)


def _check_dated(actual: list[dict], expected: list, date_key: str, where: str) -> None:
    assert [a[date_key] for a in actual] == [e[0] for e in expected], where
    for a, (date, phrase) in zip(actual, expected, strict=True):
        assert phrase in a["text"], f"{where} {date}: {phrase!r} not in {a['text']!r}"


def _check_recurring(actual: list[dict], expected: list[dict], where: str) -> None:
    keys = ("period", "every", "times", "due_day")
    assert [tuple(a[k] for k in keys) for a in actual] == [tuple(e[k] for k in keys) for e in expected], where
    for a, e in zip(actual, expected, strict=True):
        assert e["text"] in a["text"], f"{where}: {e['text']!r} not in {a['text']!r}"
        for extra in ("dates", "from_year"):
            if extra in e:
                assert a.get(extra) == e[extra], f"{where}: {extra}"


def _check_targets(actual: list[dict], expected: list[dict], where: str) -> None:
    assert len(actual) == len(expected), f"{where}: {actual}"
    for a, e in zip(actual, expected, strict=True):
        assert (a["value"], a["unit"], a["date"], a.get("value_max")) == (
            e["value"],
            e["unit"],
            e["date"],
            e.get("value_max"),
        ), where
        assert e["text"] in a["text"], where


def test_title_and_period(case):
    _name, result, expected = case
    assert result["title"] == expected["title"]
    assert result["period"] == expected["period"]


def test_leading_group(case):
    _name, result, expected = case
    group = result["leading_group"]
    want = expected["leading_group"]
    assert group["name"] == want["name"]
    assert group["office"] == want["office"]
    assert [[m["role"], m["name"]] for m in group["members"]] == want["members"]


def test_plan_level_goals_and_recurring(case):
    _name, result, expected = case
    _check_dated(result["goals"], expected["goals"], "deadline", "goals")
    _check_recurring(result["recurring"], expected["recurring"], "plan recurring")


def test_task_count(case):
    _name, result, expected = case
    assert len(result["tasks"]) == expected["task_count"] == len(expected["tasks"])


def test_tasks(case):
    name, result, expected = case
    for index, (task, want) in enumerate(zip(result["tasks"], expected["tasks"], strict=True)):
        where = f"{name} task #{index + 1} ({want['number']} {want['title'][:12]})"
        assert task["number"] == want["number"], where
        assert task["section"] == want["section"], where
        assert task["title"] == want["title"], where
        assert task["lead_units"] == want.get("lead", []), where
        assert task["participating_units"] == want.get("participating", []), where
        _check_dated(task["deadlines"], want.get("deadlines", []), "date", where)
        _check_recurring(task["recurring"], want.get("recurring", []), where)
        _check_targets(task["targets"], want.get("targets", []), where)
        assert task["text"].startswith(task["title"]), where


def test_result_is_json_serialisable_and_stable(case):
    name, result, _expected_data = case
    dumped = json.dumps(result, ensure_ascii=False, sort_keys=True)
    assert json.dumps(parse_plan_text(plan_text(name)), ensure_ascii=False, sort_keys=True) == dumped
    assert set(result) == {"title", "period", "leading_group", "goals", "tasks", "recurring", "source"}
    for task in result["tasks"]:
        assert set(task) == {
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


@pytest.mark.parametrize("name", PLAN_NAMES)
def test_bytes_and_file_entry_points_agree(name, tmp_path):
    from_text = parse_plan_text(plan_text(name))
    assert parse_plan_bytes(plan_bytes(name), f"{name}.txt") == from_text
    path = tmp_path / "upload.bin"  # the name says nothing: detection is by content
    path.write_bytes(plan_bytes(name))
    assert parse_plan_file(path) == from_text


def test_source_fingerprint():
    result = parse_plan_text(plan_text("economy"))
    assert len(result["source"]["sha256"]) == 64
    assert 1000 < result["source"]["chars"] < len(plan_text("economy"))
