"""The building blocks of every app's ``access.py``.

Each app opens its ``access.py`` with its rules in words and writes them with
these helpers, so that "who is this user, and over which organizations" is
answered one way everywhere. Organization subtrees are the ``org`` app's
business: no app compares ``path`` strings itself; it asks
``org.is_within(other)`` for one object, :func:`holds_role_over` for a user,
and :func:`subtree_q` for a queryset.

Rules every app shares (core/scoping.py decides plain "view"/"change" scope):

* anonymous and inactive users hold no right anywhere (:func:`is_active_user`);
* 区安委办管理员 and superusers are the district office (:func:`is_admin`);
* a membership's role counts for its organization and everything below it.

The org app's own rules (below the shared helpers):

* administering users and memberships (create a user, activate or
  deactivate, reset a password, add or remove a membership) and reading the
  audit log: the district office only (:func:`can_manage_users`);
* editing a user's own name, phone and e-mail: the district office, or the
  user themself (:func:`can_edit_profile`);
* changing one's own password: every signed-in user, for themself only.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from .choices import Role
from .models import Membership, Organization, User

STAFF_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER)
"""部门领导 and 部门经办人: the people who act for a department or section."""

HANDLER_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER)
"""Staff of a department, a section or a 街道."""

VIEW_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER, Role.EXPERT, Role.READONLY)
"""Every government-side role below the district office."""


def is_active_user(user) -> bool:
    """Signed in and active: nobody else holds any right."""
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_admin(user) -> bool:
    """The district office (区安委办管理员) or a superuser."""
    return is_active_user(user) and user.is_district_admin


def memberships(user, roles: Iterable[str] | None = None) -> list[Membership]:
    """The user's active memberships, optionally only those with one of ``roles``."""
    if not is_active_user(user):
        return []
    found = user.active_memberships()
    if roles is None:
        return list(found)
    wanted = set(roles)
    return [m for m in found if m.role in wanted]


def organizations(user, roles: Iterable[str] | None = None) -> list[Organization]:
    """The organizations in which the user holds one of ``roles``."""
    return [m.organization for m in memberships(user, roles)]


def holds_role_over(user, org: Organization | None, roles: Iterable[str]) -> bool:
    """The user holds one of ``roles`` in ``org`` or in an organization above it."""
    if org is None:
        return False
    return any(org.is_within(m.organization) for m in memberships(user, roles))


def leads_within(user, org: Organization | None, roles: Iterable[str]) -> bool:
    """The user holds one of ``roles`` in ``org`` or in an organization below it
    (e.g. a 科室's staff acting for their department)."""
    if org is None:
        return False
    return any(m.organization.is_within(org) for m in memberships(user, roles))


def within_any(org: Organization | None, orgs: Iterable[Organization]) -> bool:
    """``org`` lies in the subtree of one of ``orgs``."""
    return org is not None and any(org.is_within(other) for other in orgs)


def subtree_q(field: str, orgs: Organization | Iterable[Organization]) -> Q:
    """Rows whose organization foreign key ``field`` (a lookup path such as
    ``"owner"`` or ``"tasks__units__organization"``; ``""`` for Organization
    rows themselves) lies in the subtree of one of ``orgs``. No organization:
    no rows."""
    if isinstance(orgs, Organization):
        orgs = [orgs]
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    q = Q(pk__in=[])
    for org in orgs:
        q |= Q(**{lookup: org.path})
    return q


def enterprise_unit_ids(user) -> list[int]:
    """The units whose 企业用户 the user is."""
    return [m.unit_id for m in memberships(user, (Role.ENTERPRISE,)) if m.unit_id]


def is_unit_member(user, unit_id: int | None) -> bool:
    """The user is an 企业用户 of the unit ``unit_id``."""
    return unit_id is not None and unit_id in enterprise_unit_ids(user)


# --- The org app's own rules -----------------------------------------------------------


def can_manage_users(actor) -> bool:
    """System administration (users, memberships, audit) is the district
    office's: 区安委办管理员 and superusers."""
    return is_admin(actor)


def can_edit_profile(actor, user) -> bool:
    """A user's name, phone and e-mail: the district office, or the user themself."""
    return can_manage_users(actor) or (actor is not None and actor.pk == user.pk)


__all__ = [
    "HANDLER_ROLES",
    "STAFF_ROLES",
    "VIEW_ROLES",
    "User",
    "can_edit_profile",
    "can_manage_users",
    "enterprise_unit_ids",
    "holds_role_over",
    "is_active_user",
    "is_admin",
    "is_unit_member",
    "leads_within",
    "memberships",
    "organizations",
    "subtree_q",
    "within_any",
]
