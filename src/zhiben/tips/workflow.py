"""The tip workflow, declared once (on the engine in zhiben.core.workflow,
like hazards/workflow.py).

Services check transitions here (``WORKFLOW.check``), the pages show only
``allowed_transitions(user, tip)``, and ``zhiben tips workflow-doc`` (the
test in tests/tips/test_workflow_doc.py) keeps docs/tips-workflow.md drawn
from this table. Who sees a tip and its reporter's contact: tips/access.py.

Parties are decided against the tip's ``routed_to`` organization:

* ADMIN — 区安委办管理员 (or superuser);
* HANDLER — 部门领导 / 部门经办人 / 街道经办人 of the organization the tip is
  routed to (or an organization above it);
* LEADER — 部门领导 of that organization (or above): may approve rewards.
"""

from __future__ import annotations

from enum import StrEnum

from zhiben.core.workflow import Transition, Workflow, transition
from zhiben.org.access import HANDLER_ROLES, holds_role_over, is_active_user
from zhiben.org.choices import Role

from .choices import TipStatus

S = TipStatus


class Party(StrEnum):
    ADMIN = "ADMIN"
    HANDLER = "HANDLER"
    LEADER = "LEADER"

    @property
    def label(self) -> str:
        return PARTY_LABELS[self]


PARTY_LABELS = {
    Party.ADMIN: "区安委办",
    Party.HANDLER: "承办部门/街道人员",
    Party.LEADER: "承办部门领导",
}


def parties(user, tip) -> set[Party]:
    found: set[Party] = set()
    if not is_active_user(user):
        return found
    if user.is_district_admin:
        found.add(Party.ADMIN)
    if holds_role_over(user, tip.routed_to, HANDLER_ROLES):
        found.add(Party.HANDLER)
        if holds_role_over(user, tip.routed_to, (Role.DEPT_LEADER,)):
            found.add(Party.LEADER)
    return found


_t = transition

HANDLERS = {Party.ADMIN, Party.HANDLER}

TRANSITION_LIST: list[Transition] = [
    _t(
        "accept",
        "受理（新建隐患）",
        [S.PENDING, S.TRANSFERRED],
        S.ACCEPTED,
        HANDLERS,
        description="核实属实，作为“举报”来源的隐患上账，主管部门为承办部门",
    ),
    _t(
        "link",
        "受理（关联已有隐患）",
        [S.PENDING, S.TRANSFERRED],
        S.ACCEPTED,
        HANDLERS,
        description="举报的是台账上已有的未销号隐患：关联该隐患，并记为一次重复发现",
    ),
    _t(
        "transfer",
        "移交",
        [S.PENDING, S.TRANSFERRED],
        S.TRANSFERRED,
        HANDLERS,
        needs_reason=True,
        description="不属本部门/街道职责：移交给负责的部门或街道，须写明理由",
    ),
    _t(
        "reject",
        "不予受理",
        [S.PENDING, S.TRANSFERRED],
        S.REJECTED,
        HANDLERS,
        needs_reason=True,
        description="不属安全生产隐患、内容不实或无法核实等，须写明理由",
    ),
    _t(
        "reply",
        "答复举报人",
        [S.ACCEPTED, S.REJECTED, S.REPLIED],
        S.REPLIED,
        HANDLERS,
        description="答复内容显示在举报人的查询页面上（举报人凭查询码查看）",
    ),
]

WORKFLOW = Workflow(
    states=TipStatus,
    party_labels=PARTY_LABELS,
    parties=parties,
    transitions=TRANSITION_LIST,
    noun="举报",
    start=(S.PENDING.value, "举报"),
    ends=(S.REPLIED.value,),
    notes_header="说明",
    reason_note="（须填写理由）",
)
TRANSITIONS: dict[str, Transition] = WORKFLOW.by_name


def check(transition: Transition | str, user, tip) -> tuple[bool, str, str]:
    """(allowed, code, message) for ``user`` making ``transition`` now."""
    return WORKFLOW.check(transition, user, tip)


def allowed_transitions(user, tip) -> list[Transition]:
    return WORKFLOW.allowed(user, tip)


def mermaid() -> str:
    return WORKFLOW.mermaid()


def markdown_table() -> str:
    return WORKFLOW.markdown_table()
