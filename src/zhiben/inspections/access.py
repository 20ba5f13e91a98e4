"""Who sees and does what in inspections — every access decision of this
app is here.

Visibility (``restrict`` with the models' ScopeSpec, plus the team):

* inspections: the inspecting organization's, a 联合检查 team organization's
  or the campaign owner's subtree; the site's 街道; the site's unit (企业用户);
  and, whatever their organization, every user on the inspection's team
  (``inspectors`` — 第三方专家 see exactly the inspections they are on);
* campaigns: the owner's, a 配合部门's or a team organization's subtree, and
  users on the campaign team;
* checklists: every signed-in user (they are reference data).

Rights:

* manage checklists (create, publish a version): 区安委办管理员, 部门领导;
* create / draw a campaign: 区安委办管理员, or 部门领导/经办人 (街道经办人 for
  their 街道) of the owning organization's subtree;
* inspect (create, fill in, finish a supervision inspection): 区安委办管理员;
  staff (部门领导/经办人/街道经办人) of the inspecting organization's subtree;
  any user on the campaign's or the inspection's team (experts included);
* 企业自查: 企业用户 for a site of their own unit, and nobody else;
* 即查即改验收 is the hazard's own ``verify`` right (hazards/workflow.py).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from zhiben.org.access import (
    HANDLER_ROLES,
    enterprise_unit_ids,
    holds_role_over,
    is_active_user,
    is_unit_member,
    organizations,
)
from zhiben.org.choices import Role

from .models import Campaign, Checklist, Inspection

STAFF_ROLES = HANDLER_ROLES
"""部门领导/经办人/街道经办人: who manages campaigns and inspects for their organization."""

__all__ = [
    "STAFF_ROLES",
    "can_create_campaign",
    "can_edit_inspection",
    "can_inspect",
    "can_manage_campaign",
    "can_manage_checklists",
    "can_self_check",
    "enterprise_unit_ids",
    "is_enterprise",
    "on_campaign_team",
    "visible_campaigns",
    "visible_checklists",
    "visible_inspections",
]


def is_enterprise(user) -> bool:
    """An 企业用户 of at least one unit."""
    return bool(enterprise_unit_ids(user))


def visible_inspections(user) -> QuerySet[Inspection]:
    if not is_active_user(user):
        return Inspection.objects.none()
    if user.is_district_admin:
        return Inspection.objects.all()
    scoped = Inspection.objects.restrict(user, "view").values("pk")
    return Inspection.objects.filter(Q(pk__in=scoped) | Q(inspectors=user)).distinct()


def visible_campaigns(user) -> QuerySet[Campaign]:
    if not is_active_user(user):
        return Campaign.objects.none()
    if user.is_district_admin:
        return Campaign.objects.all()
    scoped = Campaign.objects.restrict(user, "view").values("pk")
    return Campaign.objects.filter(Q(pk__in=scoped) | Q(team_users=user)).distinct()


def visible_checklists(user) -> QuerySet[Checklist]:
    return Checklist.objects.all() if is_active_user(user) else Checklist.objects.none()


def can_manage_checklists(user) -> bool:
    if not is_active_user(user):
        return False
    return user.is_district_admin or user.has_role(Role.DEPT_LEADER)


def can_manage_campaign(user, owner) -> bool:
    if not is_active_user(user):
        return False
    return user.is_district_admin or holds_role_over(user, owner, STAFF_ROLES)


def can_create_campaign(user) -> bool:
    return is_active_user(user) and (user.is_district_admin or bool(organizations(user, STAFF_ROLES)))


def on_campaign_team(user, campaign: Campaign | None) -> bool:
    return campaign is not None and campaign.pk is not None and campaign.team_users.filter(pk=user.pk).exists()


def can_inspect(user, organization, campaign: Campaign | None = None) -> bool:
    """Whether ``user`` may record a supervision inspection for
    ``organization`` (within ``campaign``, when given)."""
    if not is_active_user(user):
        return False
    if user.is_district_admin:
        return True
    if holds_role_over(user, organization, STAFF_ROLES):
        return True
    return bool(
        campaign is not None and (on_campaign_team(user, campaign) or can_manage_campaign(user, campaign.owner))
    )


def can_edit_inspection(user, inspection: Inspection) -> bool:
    """Fill in or finish: the team, the inspecting organization's staff, and
    for a 自查 the unit's enterprise users."""
    if not is_active_user(user):
        return False
    if inspection.kind == "self_check":
        return is_unit_member(user, inspection.site.unit_id)
    if inspection.pk and inspection.inspectors.filter(pk=user.pk).exists():
        return True
    return can_inspect(user, inspection.organization, inspection.campaign)


def can_self_check(user, site) -> bool:
    return is_unit_member(user, site.unit_id)
