"""Who may do what in the registry (单位、场所、网格、风险评估).

The rules, one function each below: creating and changing units, adding documents,
managing sites and grids, assessing risk, seeing contact phones. *Seeing* a unit or
site is ``Model.objects.restrict(user, "view")`` (core.scoping, plus a 科室 seeing its
department's units: ``models.department_units_q``); these functions decide the rights
beyond seeing.
"""

from __future__ import annotations

from collections.abc import Sequence

from zhiben.org.choices import Role
from zhiben.org.models import Organization, User

from .models import (
    Site,
    Unit,
)

STAFF_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER)

# --- Who may do what --------------------------------------------------------------------


def _staff_over(actor: User, org: Organization | None, roles: Sequence[str] = STAFF_ROLES) -> bool:
    """``actor`` holds one of ``roles`` in ``org`` or above it."""
    if org is None:
        return False
    return any(m.role in roles and org.is_within(m.organization) for m in actor.active_memberships())


def can_create_unit(actor: User, owner: Organization | None) -> bool:
    """District administrators anywhere; department staff for units their
    own organization subtree supervises."""
    if actor.is_district_admin:
        return True
    return _staff_over(actor, owner)


def can_change_unit(actor: User, unit: Unit) -> bool:
    """All fields: the district office and the owning department's staff."""
    return actor.is_district_admin or _staff_over(actor, unit.owner)


def is_unit_member(actor: User, unit: Unit) -> bool:
    return any(m.role == Role.ENTERPRISE and m.unit_id == unit.pk for m in actor.active_memberships())


def can_see_contacts(user: User, unit: Unit) -> bool:
    """Phone numbers in clear: the district office, staff of the owning
    department (its 科室 included, and organizations above the owner), and
    the unit's own enterprise users. Everyone else sees them masked."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_district_admin or is_unit_member(user, unit):
        return True
    owner = unit.owner
    if owner is None:
        return False
    department = owner.department
    return any(
        m.role in STAFF_ROLES and (owner.is_within(m.organization) or m.organization.is_within(department))
        for m in user.active_memberships()
    )


def can_manage_site(actor: User, owner: Organization | None, street: Organization | None) -> bool:
    """The district office; the owning department's staff; the 街道's
    officers for sites in their 街道."""
    if actor.is_district_admin or _staff_over(actor, owner):
        return True
    return any(
        m.role == Role.STREET_OFFICER
        and (
            (street is not None and street.pk == m.organization_id)
            or (owner is not None and owner.is_within(m.organization))
        )
        for m in actor.active_memberships()
    )


def can_manage_grid(actor: User, owner: Organization) -> bool:
    return actor.is_district_admin or _staff_over(actor, owner, (*STAFF_ROLES, Role.STREET_OFFICER))


def can_assess(actor: User, subject: Unit | Site) -> bool:
    """The district office; the owner's staff and the third-party experts it
    commissioned; for sites also the 街道's officers."""
    if actor.is_district_admin or _staff_over(actor, subject.owner, (*STAFF_ROLES, Role.EXPERT)):
        return True
    return isinstance(subject, Site) and can_manage_site(actor, subject.owner, subject.street)


def can_add_document(actor: User, unit: Unit) -> bool:
    return can_change_unit(actor, unit) or is_unit_member(actor, unit)
