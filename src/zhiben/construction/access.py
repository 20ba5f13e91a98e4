"""Who sees and does what in the construction registers (建设工程) — every access
decision of this app is here.

Projects are registry Sites of type ``construction_site``. Every record of this app
(工程信息, 危大工程, 起重机械, 深基坑监测点 and readings) is seen by whoever sees its
Site (``Model.objects.restrict(user, "view")`` with the Site's scope): the district
office everywhere; 部门领导/经办人, 第三方专家 and 只读 users for sites owned within their
organization's subtree (the 区建管委 for 建筑工地); 街道经办人 for sites in their 街道;
an 企业用户 for the sites of its own unit (the builder registered as the site's unit).

Rights beyond seeing — register and edit 危大工程, 起重机械, monitoring points, record
readings and edit the 工程信息: the district office; 部门领导/经办人 of the site owner's
subtree; 街道经办人 of the site's 街道 (registry's site rule); and the 企业用户 of the
site's unit (the builder keeps its own registers). 第三方专家 and 只读 users only see.

The 全国重大事故隐患数据库 export lists the 重大隐患 on construction sites among the
hazards the user sees (``hazards.access.visible_hazards``); a hazard's 判定依据 (clause of
the 2022 判定标准) and 整改措施 for that export may be filled in by whoever sees the hazard
and may keep the registers of its site (the rule above).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from zhiben.org import access as org_access
from zhiben.org.access import STAFF_ROLES, is_active_user, is_admin, memberships
from zhiben.org.choices import Role
from zhiben.org.models import User
from zhiben.registry.access import can_manage_site, visible_sites
from zhiben.registry.models import Site

from .models import SITE_TYPE, Crane, DangerousWork, PitMonitoringPoint, PitReading, ProjectInfo

MANAGER_ROLES = (*STAFF_ROLES, Role.STREET_OFFICER, Role.ENTERPRISE)

__all__ = [
    "builds_projects",
    "can_manage_project",
    "can_register",
    "manageable_projects",
    "visible_cranes",
    "visible_infos",
    "visible_points",
    "visible_projects",
    "visible_readings",
    "visible_works",
]


def visible_projects(user) -> QuerySet[Site]:
    """The construction sites ``user`` sees."""
    return visible_sites(user).filter(site_type__code=SITE_TYPE)


def visible_infos(user) -> QuerySet[ProjectInfo]:
    return ProjectInfo.objects.restrict(user, "view")


def visible_works(user) -> QuerySet[DangerousWork]:
    return DangerousWork.objects.restrict(user, "view")


def visible_cranes(user) -> QuerySet[Crane]:
    return Crane.objects.restrict(user, "view")


def visible_points(user) -> QuerySet[PitMonitoringPoint]:
    return PitMonitoringPoint.objects.restrict(user, "view")


def visible_readings(user) -> QuerySet[PitReading]:
    return PitReading.objects.restrict(user, "view")


def builds_projects(user) -> bool:
    """An 企业用户 whose unit is the unit of a construction site (its menu offers the registers)."""
    units = org_access.enterprise_unit_ids(user)
    return bool(units) and Site.objects.filter(site_type__code=SITE_TYPE, unit_id__in=units).exists()


def can_manage_project(actor: User, site: Site) -> bool:
    """Keep the registers of ``site``: the district office, the owner's staff, the
    site's 街道经办人, the 企业用户 of the site's unit."""
    if not is_active_user(actor):
        return False
    if can_manage_site(actor, site.owner, site.street):
        return True
    return bool(site.unit_id) and org_access.is_unit_member(actor, site.unit_id)


def can_register(user: User) -> bool:
    """Whether to offer "登记" on the lists (the site is checked by :func:`can_manage_project`)."""
    if not is_active_user(user):
        return False
    return is_admin(user) or bool(memberships(user, MANAGER_ROLES))


def manageable_projects(user: User) -> QuerySet[Site]:
    """The construction sites whose registers ``user`` may keep (the same rule as
    :func:`can_manage_project`, as a query: the forms' choices)."""
    sites = Site.objects.filter(site_type__code=SITE_TYPE)
    if not is_active_user(user):
        return sites.none()
    if is_admin(user):
        return sites
    staff = [m.organization for m in memberships(user, STAFF_ROLES)]
    street_members = memberships(user, (Role.STREET_OFFICER,))
    q = org_access.subtree_q("owner", staff) | org_access.subtree_q("owner", [m.organization for m in street_members])
    q |= Q(street_id__in=[m.organization_id for m in street_members])
    q |= Q(unit_id__in=org_access.enterprise_unit_ids(user))
    return sites.filter(q)
