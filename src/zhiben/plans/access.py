"""Who sees and does what in the plan/task ledger — every access decision
of this app is here.

Visibility (a plan is one document shared among the units it names):

* superusers and 区安委办管理员: every plan;
* a department, section, 街道, expert or read-only member: plans whose owner
  is in their organization's subtree, or in which an organization of their
  subtree leads or participates in any (not removed) task;
* 企业用户 and users without memberships: none.

A visible plan shows all its tasks, obligations, indicators and reports.

Rights:

* import a plan: 区安委办管理员, or a 部门领导 for a plan owned within their
  subtree;
* manage a plan (monthly due day, confirm a revision): the same;
* map unresolved names: 区安委办管理员 only;
* write and submit a report: staff (部门领导/经办人/街道经办人) of the lead
  organization's subtree — nobody else, not even the district office;
* return or accept a report: 区安委办管理员, or a 部门领导 of the plan
  owner's subtree;
* fulfil an obligation instance / record an indicator value: staff of the
  responsible (lead) organization's subtree;
* set an indicator's computing rule: the same staff, or 区安委办管理员.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from zhiben.org.access import HANDLER_ROLES, VIEW_ROLES, is_active_user, is_admin, organizations, subtree_q, within_any
from zhiben.org.choices import Role

from .models import Indicator, Obligation, ObligationInstance, Plan, ProgressReport, Task

STAFF_ROLES = HANDLER_ROLES
"""部门领导/经办人/街道经办人: who writes reports and fulfils obligations."""
LEADER_ROLES = (Role.DEPT_LEADER,)


def visible_plans(user) -> QuerySet[Plan]:
    if not is_active_user(user):
        return Plan.objects.none()
    if user.is_district_admin:
        return Plan.objects.all()
    orgs = organizations(user, VIEW_ROLES)
    if not orgs:
        return Plan.objects.none()
    q = subtree_q("owner", orgs) | (Q(tasks__removed_at__isnull=True) & subtree_q("tasks__units__organization", orgs))
    return Plan.objects.filter(pk__in=Plan.objects.filter(q).values("pk"))


def visible_tasks(user) -> QuerySet[Task]:
    return Task.objects.filter(plan__in=visible_plans(user), removed_at__isnull=True)


def visible_reports(user) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(task__plan__in=visible_plans(user))


def visible_obligations(user) -> QuerySet[Obligation]:
    return Obligation.objects.filter(plan__in=visible_plans(user), is_active=True)


def visible_instances(user) -> QuerySet[ObligationInstance]:
    return ObligationInstance.objects.filter(obligation__in=visible_obligations(user))


def visible_indicators(user) -> QuerySet[Indicator]:
    return Indicator.objects.filter(task__in=visible_tasks(user))


def my_tasks(user, organization=None) -> QuerySet[Task]:
    """Tasks the user's organization subtree (or ``organization``'s) leads or
    participates in."""
    orgs = [organization] if organization is not None else organizations(user, VIEW_ROLES)
    if not orgs:
        return Task.objects.none()
    return visible_tasks(user).filter(subtree_q("units__organization", orgs)).distinct()


def can_import(user, owner=None) -> bool:
    if is_admin(user):
        return True
    leading = organizations(user, LEADER_ROLES)
    if owner is None:
        return bool(leading)
    return within_any(owner, leading)


def can_manage_plan(user, plan: Plan) -> bool:
    return can_import(user, plan.owner)


def can_map_names(user) -> bool:
    return is_admin(user)


def can_write_report(user, organization) -> bool:
    return within_any(organization, organizations(user, STAFF_ROLES))


def report_organizations(user, task: Task) -> list:
    """The task's lead organizations the user may report for."""
    return [org for org in task.lead_organizations() if can_write_report(user, org)]


def can_review_report(user, report: ProgressReport) -> bool:
    if is_admin(user):
        return True
    return within_any(report.task.plan.owner, organizations(user, LEADER_ROLES))


def can_fulfil(user, obligation: Obligation) -> bool:
    return within_any(obligation.organization, organizations(user, STAFF_ROLES))


def can_record_indicator(user, indicator: Indicator) -> bool:
    task = indicator.task
    orgs = task.lead_organizations() or [task.plan.owner]
    return any(can_write_report(user, org) for org in orgs)


def can_set_indicator_rule(user, indicator: Indicator) -> bool:
    return is_admin(user) or can_record_indicator(user, indicator)
