"""The hazard workflow, declared once (on the engine in zhiben.core.workflow).

Each transition names its source states, its target, who may make it and its
guard. Services check transitions here (``WORKFLOW.check``), the pages show
only ``allowed_transitions(user, hazard)`` and post through one view, the API
has one endpoint per transition (api.py), and ``zhiben hazards workflow-doc``
draws docs/hazard-workflow.md from this table.

Roles (``Party``) are decided against the hazard:

* ADMIN — 区安委办管理员 (or superuser);
* OWNER_LEADER / OWNER_STAFF — 部门领导 / any 部门领导 or 部门经办人 of the owning
  department's subtree;
* STREET — 街道经办人 of the hazard's 街道 (or of a 街道 owning it);
* UNIT — 企业用户 of the responsible unit;
* TARGET_STAFF — 部门领导/经办人 of the department a pending 移交 is addressed to.
"""

from __future__ import annotations

from enum import StrEnum

from zhiben.core.workflow import Transition, Workflow, transition
from zhiben.org.access import STAFF_ROLES, holds_role_over, is_active_user, is_unit_member, organizations
from zhiben.org.choices import Role

from .choices import Difficulty, HazardLevel, HazardStatus

S = HazardStatus


class Party(StrEnum):
    ADMIN = "ADMIN"
    OWNER_LEADER = "OWNER_LEADER"
    OWNER_STAFF = "OWNER_STAFF"
    STREET = "STREET"
    UNIT = "UNIT"
    TARGET_STAFF = "TARGET_STAFF"

    @property
    def label(self) -> str:
        return PARTY_LABELS[self]


PARTY_LABELS = {
    Party.ADMIN: "区安委办",
    Party.OWNER_LEADER: "主管部门领导",
    Party.OWNER_STAFF: "主管部门人员",
    Party.STREET: "属地街道",
    Party.UNIT: "责任单位",
    Party.TARGET_STAFF: "接收部门人员",
}


def parties(user, hazard) -> set[Party]:
    """Which parties ``user`` is for ``hazard``."""
    found: set[Party] = set()
    if not is_active_user(user):
        return found
    if user.is_district_admin:
        found.add(Party.ADMIN)
    if holds_role_over(user, hazard.owner, STAFF_ROLES):
        found.add(Party.OWNER_STAFF)
        if holds_role_over(user, hazard.owner, (Role.DEPT_LEADER,)):
            found.add(Party.OWNER_LEADER)
    if hazard.pending_owner_id and holds_role_over(user, hazard.pending_owner, STAFF_ROLES):
        found.add(Party.TARGET_STAFF)
    streets = organizations(user, (Role.STREET_OFFICER,))
    if any(hazard.street_id == org.pk or hazard.owner.is_within(org) for org in streets):
        found.add(Party.STREET)
    if is_unit_member(user, hazard.unit_id):
        found.add(Party.UNIT)
    return found


# --- Guards: return None when the transition may go ahead, else a Chinese reason -------------
#
# Separation of duties on 验收 (docs/hazards.md):
# * whoever recorded the rectification (提交整改, ``submitted_by``) does not judge it;
# * a 重大 hazard is verified by the department's leader or 区安委办, never by the
#   responsible unit (a user who is the unit's 企业用户 is refused even if they also
#   hold a department role);
# * 即查即改 (``fix_on_spot``) is the one way to close a hazard one has found and had
#   fixed oneself: 一般 hazards only, with a photo; the hazard is flagged
#   ``self_verified`` and 回头看 samples it first.


def _verifiers_guard(user, user_parties: set[Party], hazard) -> str | None:
    if getattr(hazard, "submitted_by_id", None) is not None and hazard.submitted_by_id == user.pk:
        return "整改情况由您提交，不能由您验收（验收须由他人进行）"
    if hazard.difficulty == Difficulty.VERY_HARD and Party.ADMIN not in user_parties:
        return "难整改隐患由区安委办（区地空联办）牵头验收"
    if hazard.level == HazardLevel.MAJOR:
        if Party.UNIT in user_parties and Party.ADMIN not in user_parties:
            return "重大隐患须由主管部门或区安委办验收，责任单位不能自行验收"
        if not user_parties & {Party.ADMIN, Party.OWNER_LEADER}:
            return "重大隐患须由主管部门领导或区安委办验收"
    return None


def guard_fix_on_spot(user, user_parties: set[Party], hazard) -> str | None:
    if hazard.level != HazardLevel.GENERAL:
        return "只有一般隐患可以即查即改；重大隐患须编制治理方案并由主管部门领导或区安委办验收"
    return None


def guard_submit(user, user_parties: set[Party], hazard) -> str | None:
    if hazard.level == HazardLevel.MAJOR:
        plan = getattr(hazard, "plan", None)  # RelatedObjectDoesNotExist is an AttributeError
        if plan is None:
            return "重大隐患须先编制治理方案（目标和任务、方法和措施、经费和物资、负责治理的机构和人员、时限和要求、安全措施和应急预案）"
        missing = plan.missing_parts()
        if missing:
            return "治理方案不完整，缺少：" + "、".join(missing)
    return None


_t = transition

STAFF = {Party.ADMIN, Party.OWNER_STAFF}

TRANSITION_LIST: list[Transition] = [
    _t(
        "confirm",
        "确认上账",
        [S.PENDING],
        S.RECTIFYING,
        STAFF,
        description="核实隐患，明确整改要求、整改时限和责任单位，纳入台账督促整改",
    ),
    _t(
        "submit",
        "提交整改",
        [S.RECTIFYING],
        S.AWAITING_VERIFICATION,
        {Party.ADMIN, Party.OWNER_STAFF, Party.STREET, Party.UNIT},
        guard_submit,
        description="上传整改后照片/材料并说明整改情况；重大隐患须有完整治理方案",
    ),
    _t(
        "verify_pass",
        "验收通过（销号）",
        [S.AWAITING_VERIFICATION],
        S.CLOSED,
        STAFF,
        _verifiers_guard,
        description="现场或材料验收合格，须填写验收意见，闭环销号；提交整改的人不能验收；"
        "难整改隐患由区安委办验收，重大隐患由部门领导或区安委办验收（责任单位不能验收）",
    ),
    _t(
        "verify_fail",
        "验收不通过",
        [S.AWAITING_VERIFICATION],
        S.RECTIFYING,
        STAFF,
        _verifiers_guard,
        True,
        description="退回继续整改，须写明原因；验收人规则同验收通过",
    ),
    _t(
        "fix_on_spot",
        "即查即改（当场销号）",
        [S.PENDING, S.RECTIFYING],
        S.CLOSED,
        {Party.ADMIN, Party.OWNER_STAFF, Party.STREET},
        guard_fix_on_spot,
        description="一般、易整改隐患现场整改完毕：上传整改后照片、填写整改情况，由检查人员当场销号；"
        "记为“自行验收”，回头看优先抽查",
    ),
    _t(
        "transfer",
        "移交",
        [S.PENDING, S.RECTIFYING],
        S.TRANSFERRING,
        STAFF,
        needs_reason=True,
        description="移交其他部门，接收部门须接收或说明理由退回",
    ),
    _t(
        "transfer_accept",
        "接收移交",
        [S.TRANSFERRING],
        None,
        {Party.ADMIN, Party.TARGET_STAFF},
        description="接收后主管部门变更为接收部门，回到移交前状态，历史记录保留",
    ),
    _t(
        "transfer_return",
        "退回移交",
        [S.TRANSFERRING],
        None,
        {Party.ADMIN, Party.TARGET_STAFF},
        needs_reason=True,
        description="主管部门不变，回到移交前状态，须写明理由",
    ),
    _t(
        "void",
        "作废",
        [S.PENDING, S.RECTIFYING, S.AWAITING_VERIFICATION],
        S.VOID,
        {Party.ADMIN, Party.OWNER_LEADER},
        needs_reason=True,
        description="误报、重复等情形，仅主管部门领导或区安委办可作废，须写明原因",
    ),
    _t(
        "reopen",
        "回头看返潮",
        [S.CLOSED],
        S.RECTIFYING,
        STAFF,
        needs_reason=True,
        description="回头看复查不合格，重新打开整改（计入返潮）",
    ),
]

WORKFLOW = Workflow(
    states=HazardStatus,
    party_labels=PARTY_LABELS,
    parties=parties,
    transitions=TRANSITION_LIST,
    noun="隐患",
    previous_label="移交前状态",
    start=(S.PENDING.value, "上账"),
    ends=(S.CLOSED.value, S.VOID.value),
    notes_header="条件 / 说明",
    reason_note="（须填写原因）",
)
TRANSITIONS: dict[str, Transition] = WORKFLOW.by_name


def check(transition: Transition | str, user, hazard) -> tuple[bool, str, str]:
    """(allowed, code, message) for ``user`` making ``transition`` now."""
    return WORKFLOW.check(transition, user, hazard)


def allowed_transitions(user, hazard) -> list[Transition]:
    return WORKFLOW.allowed(user, hazard)


def mermaid() -> str:
    """The state diagram (Mermaid) drawn from the table."""
    return WORKFLOW.mermaid()


def markdown_table() -> str:
    return WORKFLOW.markdown_table()
