"""The one workflow engine (zhiben.core.workflow) on a toy table: the order of
the checks and their codes, the target "back to the state before", the
diagram and the table."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import models

from zhiben.core.workflow import Workflow, transition


class State(models.TextChoices):
    OPEN = "open", "处理中"
    PARKED = "parked", "挂起"
    DONE = "done", "已办结"


def parties(user, obj) -> set[str]:
    return set(user.roles)


def guard_has_note(user, user_parties, obj):
    return None if obj.note else "请先填写办理情况"


FLOW = Workflow(
    states=State,
    party_labels={"BOSS": "负责人", "CLERK": "经办人"},
    parties=parties,
    transitions=[
        transition("finish", "办结", [State.OPEN], State.DONE, {"BOSS"}, guard_has_note, description="办完"),
        transition("park", "挂起", [State.OPEN], State.PARKED, {"BOSS", "CLERK"}, needs_reason=True),
        transition("resume", "恢复", [State.PARKED], None, {"CLERK"}),
    ],
    noun="事项",
    previous_label="挂起前状态",
    start=("open", "登记"),
    ends=("done",),
)


def obj(status="open", note="已办"):
    return SimpleNamespace(status=status, note=note)


def user(*roles):
    return SimpleNamespace(roles=roles)


def test_state_then_right_then_guard():
    assert FLOW.check("finish", user("BOSS"), obj("done")) == (
        False,
        "invalid_transition",
        "当前状态为“已办结”，不能办结",
    )
    assert FLOW.check("finish", user("CLERK"), obj()) == (False, "permission_denied", "您无权对该事项执行“办结”")
    assert FLOW.check("finish", user("BOSS"), obj(note="")) == (False, "guard_failed", "请先填写办理情况")
    assert FLOW.check(FLOW["finish"], user("BOSS"), obj()) == (True, "", "")


def test_allowed_and_blocked_follow_the_table_order():
    assert [t.name for t in FLOW.allowed(user("BOSS", "CLERK"), obj())] == ["finish", "park"]
    assert [t.name for t in FLOW.allowed(user("CLERK"), obj("parked"))] == ["resume"]
    assert FLOW.blocked(user("BOSS"), obj(note="")) == [(FLOW["finish"], "请先填写办理情况")]
    assert FLOW.blocked(user("BOSS"), obj(note=""), skip=("finish",)) == []
    assert "park" in FLOW and "nope" not in FLOW
    with pytest.raises(KeyError):
        FLOW.check("nope", user("BOSS"), obj())


def test_names_are_unique():
    with pytest.raises(ValueError):
        Workflow(
            states=State,
            party_labels={},
            parties=parties,
            transitions=[transition("a", "A", [], None, []), transition("a", "B", [], None, [])],
            noun="x",
        )


def test_diagram_and_table_are_drawn_from_the_table():
    assert FLOW.mermaid().splitlines() == [
        "stateDiagram-v2",
        "    [*] --> open: 登记",
        "    open --> done: 办结（负责人）",
        "    open --> parked: 挂起（经办人、负责人）",
        "    parked --> previous: 恢复（经办人）",
        "    previous: 挂起前状态",
        "    open: 处理中",
        "    parked: 挂起",
        "    done: 已办结",
        "    done --> [*]",
    ]
    assert FLOW.markdown_table().splitlines() == [
        "| 操作 | 从 | 到 | 谁可以 | 说明 |",
        "| --- | --- | --- | --- | --- |",
        "| 办结 (`finish`) | 处理中 | 已办结 | 负责人 | 办完 |",
        "| 挂起 (`park`) | 处理中 | 挂起 | 负责人、经办人 | （须填写原因） |",
        "| 恢复 (`resume`) | 挂起 | 挂起前状态 | 经办人 |  |",
    ]
