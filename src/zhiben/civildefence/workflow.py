"""The use-state workflow of a 人防工程使用备案, declared once on
``zhiben.core.workflow`` (like tips/workflow.py).

States: 在用 ⇄ 闲置, and either → 报废, which is final (no row leaves it).
``services.filing_transition`` checks every change here; the detail page offers
only ``WORKFLOW.allowed(user, filing)``; docs/civildefence.md shows the table.

Parties, decided against the filing's site owner (access.py):

* ADMIN — 区安委办管理员 (or superuser);
* MANAGER — 部门领导/部门经办人 of the site owner's organization or above it, or of a
  科室 of the owner's department (``access.can_manage_site``).
"""

from __future__ import annotations

from enum import StrEnum

from zhiben.core.workflow import Workflow, transition
from zhiben.org.access import is_active_user

from .access import can_manage_site
from .choices import FilingState

S = FilingState


class Party(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"


PARTY_LABELS = {Party.ADMIN: "区安委办", Party.MANAGER: "工程负责部门人员"}
EVERYONE = (Party.ADMIN, Party.MANAGER)


def parties(user, filing) -> set[Party]:
    found: set[Party] = set()
    if not is_active_user(user):
        return found
    if user.is_district_admin:
        found.add(Party.ADMIN)
    if can_manage_site(user, filing.site) and not user.is_district_admin:
        found.add(Party.MANAGER)
    return found


def _has_user(user, user_parties, filing) -> str | None:
    if not filing.user_unit_id and not filing.user_name:
        return "恢复使用前，请先在备案中填写使用单位"
    return None


WORKFLOW = Workflow(
    states=FilingState,
    party_labels=PARTY_LABELS,
    parties=parties,
    noun="使用备案",
    state_field="state",
    start=(S.IN_USE, "登记备案（在用或闲置）"),
    ends=(S.RETIRED,),
    transitions=[
        transition("set_idle", "转为闲置", [S.IN_USE], S.IDLE, EVERYONE, description="工程停止使用"),
        transition("resume", "恢复使用", [S.IDLE], S.IN_USE, EVERYONE, guard=_has_user, description="须已填写使用单位"),
        transition(
            "retire",
            "报废",
            [S.IN_USE, S.IDLE],
            S.RETIRED,
            EVERYONE,
            needs_reason=True,
            description="最终状态：报废后不能修改、不能再变更状态",
        ),
    ],
)

TRANSITION_NAMES = tuple(t.name for t in WORKFLOW.transitions)


def allowed_transitions(user, filing):
    return WORKFLOW.allowed(user, filing)
