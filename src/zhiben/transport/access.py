"""Who sees and does what in the road-transport register (道路运输) — every access
decision of this app is here.

Vehicles, drivers and violations belong to a registry unit (the operator, 重点运输企业)
and are seen by whoever sees that unit (registry ``UnitScopedQuerySet``): the district
office everything; 部门领导/经办人/只读 and experts their organization's subtree (a 科室
its whole department, as for units); 街道经办人 the units located in their 街道; an
企业用户 only its own unit's vehicles, drivers and violations. Out of scope is 404.

The menu shows the register to the government side and to 企业用户 of a 道路交通 unit
or of a unit with vehicles or drivers registered (``sees_fleet``); the pages themselves
follow the scope above whatever the menu shows.

Registering and editing vehicles and drivers, and recording violations: the district
office, 部门领导/经办人 of the unit owner's subtree (the 主管部门), and the unit's own
企业用户 — but an 企业用户 records only 企业自查 violations and may not change a
violation the police (公安交警) or a platform reported. 街道经办人, experts and read-only
accounts only read.

ID numbers and phone numbers of drivers are shown in clear to those who may read the
unit's contacts (registry ``can_see_contacts``); everyone else sees them masked.

The monthly 高风险 list is the same scope: each row is a vehicle or driver the user sees.

骑手违法 (the 外卖/快递 riders' violations) and the 红黑榜 are a district-wide published
list: every government user (district office, departments, 街道, experts, read-only)
sees them, enterprise users do not; importing a list is for the district office and
部门领导/经办人.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from zhiben.org import access as org_access
from zhiben.org.access import STAFF_ROLES, VIEW_ROLES, is_active_user, is_admin, memberships
from zhiben.org.choices import Role
from zhiben.org.models import User
from zhiben.registry.access import can_change_unit, can_see_contacts
from zhiben.registry.models import Unit

from .choices import ViolationSource
from .models import Driver, RiderViolation, Vehicle, Violation

__all__ = [
    "can_edit_violation",
    "can_import_riders",
    "can_manage_fleet",
    "can_record_source",
    "can_register_fleet",
    "can_see_contacts",
    "can_see_riders",
    "fleet_units",
    "is_enterprise_only",
    "sees_fleet",
    "visible_drivers",
    "visible_rider_violations",
    "visible_vehicles",
    "visible_violations",
]


# --- Who sees what ----------------------------------------------------------------------


def visible_vehicles(user) -> QuerySet[Vehicle]:
    return Vehicle.objects.restrict(user, "view")


def visible_drivers(user) -> QuerySet[Driver]:
    return Driver.objects.restrict(user, "view")


def visible_violations(user) -> QuerySet[Violation]:
    return Violation.objects.restrict(user, "view")


def sees_fleet(user) -> bool:
    """Whether the menu offers the register: the government side, and 企业用户 of a unit
    of the 道路交通 sector or with vehicles or drivers registered (cached on the user
    object for the request)."""
    if not is_active_user(user):
        return False
    cached = getattr(user, "_transport_sees_fleet", None)
    if cached is None:
        cached = can_see_riders(user)
        own = org_access.enterprise_unit_ids(user)
        if not cached and own:
            cached = (
                Unit.objects.filter(pk__in=own)
                .filter(Q(sector__code="road_traffic") | Q(vehicles__isnull=False) | Q(drivers__isnull=False))
                .exists()
            )
        user._transport_sees_fleet = cached
    return cached


def can_see_riders(user) -> bool:
    """The government side: the district office and any non-enterprise role."""
    if not is_active_user(user):
        return False
    return is_admin(user) or bool(memberships(user, (Role.DISTRICT_ADMIN, *VIEW_ROLES)))


def visible_rider_violations(user) -> QuerySet[RiderViolation]:
    return RiderViolation.objects.all() if can_see_riders(user) else RiderViolation.objects.none()


# --- Who may do what --------------------------------------------------------------------


def can_manage_fleet(actor: User, unit: Unit) -> bool:
    """Register or edit the unit's vehicles and drivers, record its violations: the
    district office, the owning department's staff, the unit's own 企业用户."""
    if not is_active_user(actor):
        return False
    return can_change_unit(actor, unit) or org_access.is_unit_member(actor, unit.pk)


def is_enterprise_only(actor: User, unit: Unit) -> bool:
    """The actor acts on ``unit`` only as its 企业用户 (not as its supervisor)."""
    return not can_change_unit(actor, unit)


def can_record_source(actor: User, unit: Unit, source: str) -> bool:
    """An 企业用户 records only 企业自查; supervisors any source."""
    if not can_manage_fleet(actor, unit):
        return False
    return source == ViolationSource.SELF_CHECK or not is_enterprise_only(actor, unit)


def can_edit_violation(actor: User, violation: Violation) -> bool:
    return can_record_source(actor, violation.unit, violation.source)


def fleet_units(user: User) -> QuerySet[Unit]:
    """The units for which ``user`` may register vehicles and drivers (the rule of
    :func:`can_manage_fleet` as a query: the forms' choices and the importers)."""
    if is_admin(user):
        return Unit.objects.all()
    if not is_active_user(user):
        return Unit.objects.none()
    staff = [m.organization for m in memberships(user, STAFF_ROLES)]
    own = [m.unit_id for m in memberships(user, (Role.ENTERPRISE,)) if m.unit_id]
    q = Q(pk__in=own)
    if staff:
        q |= org_access.subtree_q("owner", staff)
    return Unit.objects.filter(q)


def can_register_fleet(user: User) -> bool:
    """Whether to offer "登记" and "批量导入" on the lists (the unit is checked per record)."""
    if not is_active_user(user):
        return False
    return is_admin(user) or bool(memberships(user, (*STAFF_ROLES, Role.ENTERPRISE)))


def can_import_riders(user: User) -> bool:
    if not is_active_user(user):
        return False
    return is_admin(user) or bool(memberships(user, STAFF_ROLES))
