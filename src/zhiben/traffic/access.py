"""Who sees and does what in 道路交通 (事故多发点段 and their 整治, 一校一方案) —
every access decision of this app is here.

Visibility (``Model.objects.restrict(user, "view")``, core.scoping with the models'
ScopeSpec):

* a 事故多发点段挂牌 and its 整治记录 are seen by the district office (区安委办) and
  superusers; by 部门领导/经办人, 第三方专家 and 只读 accounts of the organization
  subtree that owns the road site (区公安分局 per data/ownership.yaml) or of the
  subtree of its 牵头单位 (e.g. 区建管委); by 街道经办人 of the 街道 the site lies in;
* a 一校一方案 is seen by the same people through its school site (owner subtree,
  街道);
* 企业用户 see none of them: the pages answer 404 for them, the API lists are empty
  and a record's page or API answers 404.

Rights beyond seeing:

* list a point (挂牌登记) and edit the listing: the district office; 部门领导/经办人
  over the site's owner or over the 牵头单位 chosen;
* make a 整治 transition (启动整治, 完成整治, 验收退回) and edit its measures: those,
  and 街道经办人 of the site's 街道;
* 验收 (accept a finished treatment): the district office and 部门领导 over the site's
  owner or the 牵头单位;
* create and edit a 一校一方案: whoever may edit the school site (registry:
  the district office, 部门领导/经办人 of its owner's subtree, 街道经办人 of its 街道).

Experts and read-only accounts never change anything here.
"""

from __future__ import annotations

from django.db.models import QuerySet

from zhiben.org.access import STAFF_ROLES, holds_role_over, is_active_user, is_admin, memberships
from zhiben.org.choices import Role
from zhiben.registry.access import SITE_ROLES, can_manage_site, visible_sites

from .models import BLACK_SPOT_TYPE, SCHOOL_TYPE, BlackSpotListing, BlackSpotRectification, SchoolSafetyPlan

LEADER_ROLES = (Role.DEPT_LEADER,)


# --- Who sees what ----------------------------------------------------------------------


def visible_listings(user) -> QuerySet[BlackSpotListing]:
    return BlackSpotListing.objects.restrict(user, "view")


def visible_rectifications(user) -> QuerySet[BlackSpotRectification]:
    return BlackSpotRectification.objects.restrict(user, "view")


def visible_school_plans(user) -> QuerySet[SchoolSafetyPlan]:
    return SchoolSafetyPlan.objects.restrict(user, "view")


def visible_road_spots(user):
    """The road sites (道路点段) ``user`` sees."""
    return visible_sites(user).filter(site_type__code=BLACK_SPOT_TYPE, is_active=True)


def visible_schools(user):
    """The school sites (学校周边) ``user`` sees."""
    return visible_sites(user).filter(site_type__code=SCHOOL_TYPE, is_active=True)


# --- Who may do what --------------------------------------------------------------------


def can_list_spots(user) -> bool:
    """Whether to offer 挂牌登记 and the import at all (the site is checked by
    :func:`can_manage_listing`): the district office and 部门领导/经办人."""
    if not is_active_user(user):
        return False
    return is_admin(user) or bool(memberships(user, STAFF_ROLES))


def can_manage_listing(actor, site, lead_org) -> bool:
    if not is_active_user(actor):
        return False
    if is_admin(actor):
        return True
    return holds_role_over(actor, site.owner, STAFF_ROLES) or holds_role_over(actor, lead_org, STAFF_ROLES)


def can_handle_rectification(actor, listing: BlackSpotListing) -> bool:
    """Start, finish, return and edit a treatment."""
    if can_manage_listing(actor, listing.site, listing.lead_org):
        return True
    street = listing.site.street_id
    return bool(street) and any(m.organization_id == street for m in memberships(actor, (Role.STREET_OFFICER,)))


def can_accept_rectification(actor, listing: BlackSpotListing) -> bool:
    """验收: the district office and 部门领导 over the site's owner or the 牵头单位."""
    if not is_active_user(actor):
        return False
    if is_admin(actor):
        return True
    return holds_role_over(actor, listing.site.owner, LEADER_ROLES) or holds_role_over(
        actor, listing.lead_org, LEADER_ROLES
    )


def can_plan_schools(user) -> bool:
    """Whether to offer 编制一校一方案 (the school is checked by :func:`can_manage_school_plan`)."""
    if not is_active_user(user):
        return False
    return is_admin(user) or bool(memberships(user, SITE_ROLES))


def can_manage_school_plan(actor, site) -> bool:
    return is_active_user(actor) and can_manage_site(actor, site.owner, site.street)


__all__ = [
    "can_accept_rectification",
    "can_handle_rectification",
    "can_list_spots",
    "can_manage_listing",
    "can_manage_school_plan",
    "can_plan_schools",
    "visible_listings",
    "visible_rectifications",
    "visible_road_spots",
    "visible_school_plans",
    "visible_schools",
]
