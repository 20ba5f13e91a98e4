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
  responsible (lead) organization's subtree.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from zhiben.org.choices import Role

from .models import Indicator, Obligation, ObligationInstance, Plan, ProgressReport, Task

VIEW_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER, Role.EXPERT, Role.READONLY)
STAFF_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER)


def _active(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user) -> bool:
    return _active(user) and user.is_district_admin


def org_paths(user, roles=VIEW_ROLES) -> list[str]:
    if not _active(user):
        return []
    return [m.organization.path for m in user.active_memberships() if m.role in roles]


def _within(path: str, paths: list[str]) -> bool:
    return any(path.startswith(p) for p in paths)


def visible_plans(user) -> QuerySet[Plan]:
    if not _active(user):
        return Plan.objects.none()
    if user.is_district_admin:
        return Plan.objects.all()
    paths = org_paths(user)
    if not paths:
        return Plan.objects.none()
    q = Q()
    for path in paths:
        q |= Q(owner__path__startswith=path)
        q |= Q(tasks__removed_at__isnull=True, tasks__units__organization__path__startswith=path)
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
    paths = [organization.path] if organization is not None else org_paths(user)
    if not paths:
        return Task.objects.none()
    q = Q()
    for path in paths:
        q |= Q(units__organization__path__startswith=path)
    return visible_tasks(user).filter(q).distinct()


def can_import(user, owner=None) -> bool:
    if is_admin(user):
        return True
    leader_paths = org_paths(user, (Role.DEPT_LEADER,))
    if owner is None:
        return bool(leader_paths)
    return _within(owner.path, leader_paths)


def can_manage_plan(user, plan: Plan) -> bool:
    return can_import(user, plan.owner)


def can_map_names(user) -> bool:
    return is_admin(user)


def can_write_report(user, organization) -> bool:
    return organization is not None and _within(organization.path, org_paths(user, STAFF_ROLES))


def report_organizations(user, task: Task) -> list:
    """The task's lead organizations the user may report for."""
    return [org for org in task.lead_organizations() if can_write_report(user, org)]


def can_review_report(user, report: ProgressReport) -> bool:
    if is_admin(user):
        return True
    return _within(report.task.plan.owner.path, org_paths(user, (Role.DEPT_LEADER,)))


def can_fulfil(user, obligation: Obligation) -> bool:
    return _within(obligation.organization.path, org_paths(user, STAFF_ROLES))


def can_record_indicator(user, indicator: Indicator) -> bool:
    task = indicator.task
    orgs = task.lead_organizations() or [task.plan.owner]
    return any(can_write_report(user, org) for org in orgs)
