"""Who may do what with hazards (隐患台账).

Seeing (``visible_hazards``; zhiben.core.scoping with the model's ``HAZARD_SCOPE``):

* 区安委办管理员 and superusers see every hazard;
* 部门领导 / 部门经办人, 第三方专家 and 只读 users see the hazards owned by their
  organization or one below it, and those a pending 移交 offers to it
  (``pending_owner``);
* 街道经办人 see the hazards located in their 街道 and those owned by the
  街道's own subtree;
* 企业用户 see their own unit's hazards;
* every signed-in user sees the 挂牌督办 list (晾晒);
* anonymous and inactive users see nothing; out of scope is 404, and the
  attempt is audited (zhiben.core.access).

Changing (``Hazard.objects.restrict(user, "change")``, e.g. 批量指定经办人) is
the same minus 专家 and 只读 users.

Acting on one hazard is decided by the user's *parties* for it
(workflow.py: 区安委办, 主管部门领导, 主管部门人员, 属地街道, 责任单位, 接收部门人员):

* the transitions (确认上账 … 作废, 回头看返潮) and their guards: the table in
  workflow.py, drawn in docs/hazard-workflow.md;
* 登记 (``can_create_for``): 区安委办; the owning department's 领导/经办人 and
  the 专家 it commissioned (the owner lies in their organization's subtree);
  the 街道 for hazards in its territory; an 企业用户 for their own unit (自查).
  The 登记 button shows for anyone holding one of these roles
  (``can_create_any``);
* 修改 (``can_edit``): 区安委办 or the owner's staff, while 待确认/整改中;
* 治理方案 (``can_plan``): a 重大, open hazard not awaiting 验收; 区安委办, the
  owner's staff or the responsible unit;
* 备注, 材料, 督办反馈 (``is_party``): any party;
* 重复发现 (``can_link_duplicate``): any party, or anyone who could have put
  the hazard on the ledger;
* 指定经办人 (``can_assign``): 区安委办 or the owner's staff; the assignee must
  be 区安委办, the owner's staff or the 属地街道 (``can_be_assignee``); the
  choice offered (``assignable_users``): for 区安委办 every active department
  or 街道 staff member, for department staff those of their subtree;
* 督办 / 挂牌督办 and 解除督办 (``can_supervise``): 区安委办 only;
* 回头看: drawing a sample (``can_draw_recheck``) — 区安委办 or a 部门领导 of
  the organization or one above it; recording a recheck — the parties of
  ``reopen`` (``can_recheck``);
* 接收移交 waiting for the user (``incoming_transfers``): hazards offered to
  an organization in which the user is 部门领导/经办人, or below it;
* Excel import (``can_import``): 区安委办 and the staff of a department, section
  or 街道 (部门领导/经办人, 街道经办人); each row is then checked by 登记's rule;
* export (Excel) follows seeing: the list the user sees, with its filters.
"""

from __future__ import annotations

from zhiben.org.access import (
    HANDLER_ROLES,
    STAFF_ROLES,
    holds_role_over,
    is_active_user,
    is_unit_member,
    memberships,
    organizations,
    subtree_q,
)
from zhiben.org.choices import Role
from zhiben.org.models import Organization, User

from . import workflow
from .choices import HazardLevel, HazardStatus
from .models import Hazard

Party = workflow.Party
STAFF_PARTIES = frozenset({Party.ADMIN, Party.OWNER_STAFF})
PLAN_PARTIES = frozenset({Party.ADMIN, Party.OWNER_STAFF, Party.UNIT})
ASSIGNEE_PARTIES = frozenset({Party.ADMIN, Party.OWNER_STAFF, Party.STREET})
CREATOR_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER, Role.ENTERPRISE, Role.EXPERT)
EDITABLE_STATUSES = (HazardStatus.PENDING, HazardStatus.RECTIFYING)


# --- Seeing ------------------------------------------------------------------------------------


def visible_hazards(user):
    """The hazards ``user`` may see."""
    return Hazard.objects.restrict(user, "view")


def changeable_hazards(user):
    """The hazards ``user`` may change (bulk actions)."""
    return Hazard.objects.restrict(user, "change")


def incoming_transfers(user):
    """Hazards a pending 移交 offers to an organization the user is staff of (or below it)."""
    orgs = organizations(user, STAFF_ROLES)
    if not orgs:
        return Hazard.objects.none()
    return Hazard.objects.filter(subtree_q("pending_owner", orgs), status=HazardStatus.TRANSFERRING)


# --- Acting on one hazard ----------------------------------------------------------------------


def is_party(user, hazard) -> bool:
    return bool(workflow.parties(user, hazard))


def can_create_for(actor: User, owner: Organization, unit, street: Organization | None) -> bool:
    """Who may put a hazard on the ledger (see the module's docstring)."""
    if actor.is_district_admin:
        return True
    if holds_role_over(actor, owner, (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.EXPERT)):
        return True
    if street is not None and any(org.pk == street.pk for org in organizations(actor, (Role.STREET_OFFICER,))):
        return True
    return unit is not None and is_unit_member(actor, unit.pk)


def can_import(user) -> bool:
    """Excel import: 区安委办 and department/section/街道 staff (rows are checked one by one by ``can_create_for``)."""
    return is_active_user(user) and (user.is_district_admin or bool(memberships(user, HANDLER_ROLES)))


def can_create_any(user) -> bool:
    """The 登记 button: 区安委办 or anyone holding a role that may create for some owner."""
    return user.is_district_admin or user.has_role(*CREATOR_ROLES)


def can_edit(user, hazard, user_parties: set | None = None) -> bool:
    """修改: 区安委办 or the owner's staff (the status is the service's check)."""
    found = workflow.parties(user, hazard) if user_parties is None else user_parties
    return bool(found & STAFF_PARTIES)


def can_edit_now(user, hazard, user_parties: set | None = None) -> bool:
    """The 修改 button: :func:`can_edit` while 待确认/整改中."""
    return can_edit(user, hazard, user_parties) and hazard.status in EDITABLE_STATUSES


def can_plan(user, hazard, user_parties: set | None = None) -> bool:
    """治理方案: 区安委办, the owner's staff or the responsible unit."""
    found = workflow.parties(user, hazard) if user_parties is None else user_parties
    return bool(found & PLAN_PARTIES)


def can_plan_now(user, hazard, user_parties: set | None = None) -> bool:
    """The 治理方案 form: :func:`can_plan` for a 重大, open hazard not awaiting 验收."""
    return (
        hazard.level == HazardLevel.MAJOR
        and hazard.is_open
        and hazard.status != HazardStatus.AWAITING_VERIFICATION
        and can_plan(user, hazard, user_parties)
    )


def can_link_duplicate(user, hazard) -> bool:
    return is_party(user, hazard) or can_create_for(user, hazard.owner, hazard.unit, hazard.street)


def can_assign(user, hazard) -> bool:
    return bool(workflow.parties(user, hazard) & STAFF_PARTIES)


def can_be_assignee(user, hazard) -> bool:
    return bool(workflow.parties(user, hazard) & ASSIGNEE_PARTIES)


def assignable_users(user):
    """The people ``user`` may name as 经办人 (the final check is :func:`can_be_assignee`)."""
    if user.is_district_admin:
        return (
            User.objects.filter(
                is_active=True,
                memberships__is_active=True,
                memberships__role__in=list(HANDLER_ROLES),
            )
            .distinct()
            .order_by("username")
        )
    orgs = organizations(user, STAFF_ROLES)
    if not orgs:
        return User.objects.none()
    return (
        User.objects.filter(subtree_q("memberships__organization", orgs), is_active=True, memberships__is_active=True)
        .distinct()
        .order_by("username")
    )


def can_supervise(user) -> bool:
    """督办 / 挂牌督办 and 解除督办: 区安委办."""
    return user.is_district_admin


def can_draw_recheck(user, organization: Organization) -> bool:
    """回头看抽查: 区安委办 or a 部门领导 of ``organization`` or above it."""
    return user.is_district_admin or holds_role_over(user, organization, (Role.DEPT_LEADER,))


def can_recheck(user, hazard) -> bool:
    """Recording a recheck: the parties that may reopen (区安委办, the owner's staff)."""
    return bool(workflow.parties(user, hazard) & workflow.TRANSITIONS["reopen"].who)


__all__ = [
    "assignable_users",
    "can_assign",
    "can_be_assignee",
    "can_create_any",
    "can_create_for",
    "can_draw_recheck",
    "can_edit",
    "can_edit_now",
    "can_link_duplicate",
    "can_plan",
    "can_plan_now",
    "can_recheck",
    "can_supervise",
    "changeable_hazards",
    "incoming_transfers",
    "is_party",
    "visible_hazards",
]
