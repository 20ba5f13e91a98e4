"""Read-side helpers of organizations and users: scoped lists and searches
used by the pages and the API. No writes."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Organization, User


def users_with_memberships() -> QuerySet[User]:
    """Users with their memberships, organizations and units prefetched."""
    return User.objects.prefetch_related("memberships__organization", "memberships__unit")


def organizations_for(user, *, kind: str | None = None, q: str | None = None) -> QuerySet[Organization]:
    """The organizations ``user`` may see, optionally of one ``kind`` and
    matching ``q`` in the name, short name or an alias."""
    qs = Organization.objects.restrict(user, "view")
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(aliases__alias__icontains=q)).distinct()
    return qs


def user_search(
    *,
    q: str | None = None,
    organization_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
) -> QuerySet[User]:
    """Users (for administrators) matching ``q`` in the username or name,
    with an active membership in ``organization_id`` / with ``role``, and
    active or not; memberships prefetched."""
    qs = users_with_memberships()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if organization_id:
        qs = qs.filter(memberships__organization_id=organization_id, memberships__is_active=True)
    if role:
        qs = qs.filter(memberships__role=role, memberships__is_active=True)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.distinct()
