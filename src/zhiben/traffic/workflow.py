"""The 事故多发点段整治 workflow, declared once on zhiben.core.workflow.

未启动 → 整治中 (启动整治) → 已完成 (完成整治) → 已验收 (验收); a finished treatment
that fails acceptance goes back to 整治中 (验收退回, with a reason). The service
``services.rectification_transition`` asks :data:`WORKFLOW` before changing
anything, so a refused transition leaves the record as it was. The table is
drawn into docs/traffic.md (kept in sync by tests/traffic/test_services.py).

Parties (decided against the listing's site and 牵头单位, rules in access.py):

* ADMIN — 区安委办 (or a superuser);
* HANDLER — 部门领导/经办人 over the site's owner or the 牵头单位, 街道经办人 of the
  site's 街道;
* ACCEPTOR — 部门领导 over the site's owner or the 牵头单位.
"""

from __future__ import annotations

from enum import StrEnum

from zhiben.core.workflow import Transition, Workflow, transition
from zhiben.org.access import is_admin

from .access import can_accept_rectification, can_handle_rectification
from .choices import RectificationStatus

S = RectificationStatus


class Party(StrEnum):
    ADMIN = "ADMIN"
    HANDLER = "HANDLER"
    ACCEPTOR = "ACCEPTOR"


PARTY_LABELS = {
    Party.ADMIN: "区安委办",
    Party.HANDLER: "责任部门/牵头单位/属地街道人员",
    Party.ACCEPTOR: "责任部门/牵头单位领导",
}


def parties(user, rectification) -> set[Party]:
    found: set[Party] = set()
    listing = rectification.listing
    if is_admin(user):
        found.add(Party.ADMIN)
    if can_handle_rectification(user, listing):
        found.add(Party.HANDLER)
    if can_accept_rectification(user, listing):
        found.add(Party.ACCEPTOR)
    return found


TRANSITION_LIST: list[Transition] = [
    transition(
        "start",
        "启动整治",
        [S.NOT_STARTED],
        S.IN_PROGRESS,
        {Party.ADMIN, Party.HANDLER},
        description="须填写整治措施和开始日期",
    ),
    transition(
        "complete",
        "完成整治",
        [S.IN_PROGRESS],
        S.COMPLETED,
        {Party.ADMIN, Party.HANDLER},
        description="须填写完成日期（不早于开始日期、不晚于今天），可补充措施和佐证说明；自完成日期起计入完成率",
    ),
    transition(
        "accept",
        "验收",
        [S.COMPLETED],
        S.ACCEPTED,
        {Party.ADMIN, Party.ACCEPTOR},
        description="须填写验收单位（人）和验收日期（不早于完成日期、不晚于今天）",
    ),
    transition(
        "reopen",
        "验收退回",
        [S.COMPLETED],
        S.IN_PROGRESS,
        {Party.ADMIN, Party.ACCEPTOR},
        needs_reason=True,
        description="验收不通过，退回继续整治；完成日期清空，不再计入完成率",
    ),
]

WORKFLOW = Workflow(
    states=RectificationStatus,
    party_labels=PARTY_LABELS,
    parties=parties,
    transitions=TRANSITION_LIST,
    noun="整治记录",
    start=(S.NOT_STARTED.value, "挂牌"),
    ends=(S.ACCEPTED.value,),
    reason_note="（须填写原因）",
)


def allowed_transitions(user, rectification) -> list[Transition]:
    return WORKFLOW.allowed(user, rectification)
