"""Who sees and does what in the registry (单位、场所、网格、风险评估) — every
access decision of this app is here.

Visibility (``Model.objects.restrict(user, "view")``, core.scoping with the
models' ScopeSpec):

* units: the owning department's subtree, the unit's 街道, the unit's own
  企业用户; a 科室's leaders, officers and read-only members also see their
  department's units (``models.department_units_q``);
* sites: the owner's subtree and the 街道; like units, a 科室's leaders,
  officers and read-only members also see their department's sites;
* grids: the owner's subtree and the 街道;
* superusers and 区安委办管理员: everything.

Rights beyond seeing:

* register a unit: 区安委办管理员 anywhere; 部门领导/经办人 for units owned
  within their subtree (the unit list offers "登记" to any 部门领导/经办人);
* change a unit (all fields), flag it: the district office and 部门领导/经办人
  of the owner's subtree;
* add a document, edit the unit's own file: those, and the unit's 企业用户;
* contact phones in clear: the district office, 部门领导/经办人 of the owning
  department (its 科室 included, and organizations above the owner), and the
  unit's 企业用户; everyone else sees them masked;
* register and edit a site: the district office; 部门领导/经办人 of the owner's
  subtree; 街道经办人 of the site's 街道 or of an organization above the owner;
* manage a grid: the district office; 部门领导/经办人/街道经办人 of the owner's
  subtree;
* assess risk: the district office; 部门领导/经办人 and 第三方专家 of the
  owner's subtree; for a site also whoever may edit the site.

有限空间 (confined spaces) and their 作业审批 (entry permits) are seen by
whoever sees their unit (the unit's rule above, ``models.UnitScopedQuerySet``).
Registering and editing a space and recording a permit: the district office,
部门领导/经办人 of the unit owner's subtree, and the unit's own 企业用户.
Correcting (更正) or withdrawing (撤回) a permit: only the person who recorded it,
while they still may manage the unit's spaces and the permit is neither
审批通过 nor withdrawn.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from zhiben.org import access as org_access
from zhiben.org.access import STAFF_ROLES, holds_role_over, is_active_user, is_admin, leads_within, memberships
from zhiben.org.choices import Role
from zhiben.org.models import Organization, User

from .models import ConfinedSpace, ConfinedSpaceWorkPermit, Grid, Site, Unit

SITE_ROLES = (*STAFF_ROLES, Role.STREET_OFFICER)
"""Who registers sites and manages grids (with the district office)."""

__all__ = [
    "STAFF_ROLES",
    "can_add_document",
    "can_assess",
    "can_change_unit",
    "can_correct_permit",
    "can_create_unit",
    "can_manage_confined",
    "can_manage_grid",
    "can_manage_site",
    "can_register_confined",
    "can_register_sites",
    "can_register_units",
    "can_see_contacts",
    "confined_units",
    "is_unit_member",
    "visible_confined_permits",
    "visible_confined_spaces",
    "visible_grids",
    "visible_sites",
    "visible_units",
]


# --- Who sees what ----------------------------------------------------------------------


def visible_units(user) -> QuerySet[Unit]:
    return Unit.objects.restrict(user, "view")


def visible_sites(user) -> QuerySet[Site]:
    return Site.objects.restrict(user, "view")


def visible_grids(user) -> QuerySet[Grid]:
    return Grid.objects.restrict(user, "view")


def visible_confined_spaces(user) -> QuerySet[ConfinedSpace]:
    """The spaces of the units ``user`` sees."""
    return ConfinedSpace.objects.restrict(user, "view")


def visible_confined_permits(user) -> QuerySet[ConfinedSpaceWorkPermit]:
    return ConfinedSpaceWorkPermit.objects.restrict(user, "view")


# --- Who may do what --------------------------------------------------------------------


def can_register_units(user: User) -> bool:
    """Whether to offer registering a unit at all (the owner is checked by
    :func:`can_create_unit`): the district office and 部门领导/经办人."""
    return is_admin(user) or bool(memberships(user, STAFF_ROLES))


def can_register_sites(user: User) -> bool:
    """Whether to offer registering a site or a grid: those who may register
    units, and 街道经办人."""
    return is_admin(user) or bool(memberships(user, SITE_ROLES))


def can_create_unit(actor: User, owner: Organization | None) -> bool:
    """District administrators anywhere; department staff for units their
    own organization subtree supervises."""
    if actor.is_district_admin:
        return True
    return holds_role_over(actor, owner, STAFF_ROLES)


def can_change_unit(actor: User, unit: Unit) -> bool:
    """All fields: the district office and the owning department's staff."""
    return actor.is_district_admin or holds_role_over(actor, unit.owner, STAFF_ROLES)


def is_unit_member(actor: User, unit: Unit) -> bool:
    """An 企业用户 of ``unit``."""
    return org_access.is_unit_member(actor, unit.pk)


def can_see_contacts(user: User, unit: Unit) -> bool:
    """Phone numbers in clear: the district office, staff of the owning
    department (its 科室 included, and organizations above the owner), and
    the unit's own enterprise users. Everyone else sees them masked."""
    if not is_active_user(user):
        return False
    if user.is_district_admin or is_unit_member(user, unit):
        return True
    owner = unit.owner
    if owner is None:
        return False
    return holds_role_over(user, owner, STAFF_ROLES) or leads_within(user, owner.department, STAFF_ROLES)


def can_manage_site(actor: User, owner: Organization | None, street: Organization | None) -> bool:
    """The district office; the owning department's staff; the 街道's
    officers for sites in their 街道 (or above the owner)."""
    if actor.is_district_admin or holds_role_over(actor, owner, STAFF_ROLES):
        return True
    if street is not None and any(m.organization_id == street.pk for m in memberships(actor, (Role.STREET_OFFICER,))):
        return True
    return holds_role_over(actor, owner, (Role.STREET_OFFICER,))


def can_manage_grid(actor: User, owner: Organization) -> bool:
    return actor.is_district_admin or holds_role_over(actor, owner, SITE_ROLES)


def can_assess(actor: User, subject: Unit | Site) -> bool:
    """The district office; the owner's staff and the third-party experts it
    commissioned; for sites also the 街道's officers."""
    if actor.is_district_admin or holds_role_over(actor, subject.owner, (*STAFF_ROLES, Role.EXPERT)):
        return True
    return isinstance(subject, Site) and can_manage_site(actor, subject.owner, subject.street)


def can_add_document(actor: User, unit: Unit) -> bool:
    return can_change_unit(actor, unit) or is_unit_member(actor, unit)


def can_manage_confined(actor: User, unit: Unit) -> bool:
    """Register or edit the unit's confined spaces and record their permits:
    the district office, the owning department's staff, the unit's 企业用户."""
    if not is_active_user(actor):
        return False
    return can_change_unit(actor, unit) or is_unit_member(actor, unit)


def can_correct_permit(actor: User, permit: ConfinedSpaceWorkPermit) -> bool:
    """Correct or withdraw ``permit``: its recorder, while open (not approved, not withdrawn)."""
    return (
        permit.recorded_by_id is not None
        and permit.recorded_by_id == getattr(actor, "pk", None)
        and not permit.approved
        and permit.withdrawn_at is None
        and can_manage_confined(actor, permit.space.unit)
    )


def confined_units(user: User) -> QuerySet[Unit]:
    """The units for which ``user`` may register confined spaces (the same rule as
    :func:`can_manage_confined`, as a query: the form's choices)."""
    if is_admin(user):
        return Unit.objects.all()
    staff = [m.organization for m in memberships(user, STAFF_ROLES)]
    own = [m.unit_id for m in memberships(user, (Role.ENTERPRISE,)) if m.unit_id]
    return Unit.objects.filter(org_access.subtree_q("owner", staff) | Q(pk__in=own))


def can_register_confined(user: User) -> bool:
    """Whether to offer "登记有限空间" on the list (the unit is checked by
    :func:`can_manage_confined`): the district office, 部门领导/经办人 and 企业用户."""
    if not is_active_user(user):
        return False
    return is_admin(user) or bool(memberships(user, (*STAFF_ROLES, Role.ENTERPRISE)))
