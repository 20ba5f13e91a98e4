"""The tip workflow, declared once (like hazards/workflow.py).

Services look transitions up here (``TRANSITIONS[name]``) and the pages show
only ``allowed_transitions(user, tip)``.

Parties are decided against the tip's ``routed_to`` organization:

* ADMIN — 区安委办管理员 (or superuser);
* HANDLER — 部门领导 / 部门经办人 / 街道经办人 of the organization the tip is
  routed to (or an organization above it);
* LEADER — 部门领导 of that organization (or above): may approve rewards.

Only ADMIN and HANDLER see the reporter's name and phone (``can_see_contact``).
街道 officers of the tip's 街道 see the tip when it is routed elsewhere, but
not the contact; experts and read-only users never see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhiben.org.choices import Role

from .choices import TipStatus

S = TipStatus
HANDLER_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER)


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
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return found
    if user.is_district_admin:
        found.add(Party.ADMIN)
    routed = tip.routed_to
    for m in user.active_memberships():
        if m.role in HANDLER_ROLES and routed.path.startswith(m.organization.path):
            found.add(Party.HANDLER)
            if m.role == Role.DEPT_LEADER:
                found.add(Party.LEADER)
    return found


def can_see_contact(user, tip) -> bool:
    """The reporter's name and phone in clear: 区安委办 and the staff of the
    department/街道 the tip is routed to. Nobody else, anywhere."""
    return bool(parties(user, tip) & {Party.ADMIN, Party.HANDLER})


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    who: frozenset[Party]
    needs_reason: bool = False
    description: str = ""


def _t(name, label, sources, target, who, needs_reason=False, description=""):
    return Transition(name, label, tuple(sources), target, frozenset(who), needs_reason, description)


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

TRANSITIONS: dict[str, Transition] = {t.name: t for t in TRANSITION_LIST}


def check(transition: Transition, user, tip) -> tuple[bool, str, str]:
    """(allowed, code, message) for ``user`` making ``transition`` now."""
    if tip.status not in transition.sources:
        return False, "invalid_transition", f"当前状态为“{TipStatus(tip.status).label}”，不能{transition.label}"
    if not parties(user, tip) & transition.who:
        return False, "permission_denied", f"您无权对该举报执行“{transition.label}”"
    return True, "", ""


def allowed_transitions(user, tip) -> list[Transition]:
    return [t for t in TRANSITION_LIST if check(t, user, tip)[0]]


def can_reward(user, tip) -> bool:
    """Rewards are approved by 区安委办 or a leader of the routed department,
    for accepted tips only."""
    return tip.hazard_id is not None and bool(parties(user, tip) & {Party.ADMIN, Party.LEADER})


def markdown_table() -> str:
    rows = ["| 操作 | 从 | 到 | 谁可以 | 说明 |", "| --- | --- | --- | --- | --- |"]
    for t in TRANSITION_LIST:
        sources = "、".join(TipStatus(s).label for s in t.sources)
        who = "、".join(p.label for p in sorted(t.who, key=lambda p: p.value))
        rows.append(
            f"| {t.label} (`{t.name}`) | {sources} | {TipStatus(t.target).label} | {who} | "
            f"{t.description}{'（须填写理由）' if t.needs_reason else ''} |"
        )
    return "\n".join(rows)
