"""Sending notifications. Call these from ``transaction.on_commit`` so that a
rolled-back change sends nothing."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from zhiben.org.choices import Role
from zhiben.org.models import Organization, User

from .models import Notification

DEPARTMENT_ROLES = (Role.DEPT_LEADER, Role.DEPT_OFFICER, Role.STREET_OFFICER)


def recipients_in(organization: Organization, roles: Iterable[str] = DEPARTMENT_ROLES) -> list[User]:
    """Active users holding one of ``roles`` in ``organization`` or below."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role__in=list(roles),
            memberships__organization__path__startswith=organization.path,
        ).distinct()
    )


def district_admins() -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, memberships__is_active=True, memberships__role=Role.DISTRICT_ADMIN
        ).distinct()
    )


def notify(
    users: Iterable[User], *, title: str, body: str = "", url: str = "", kind: str = "", exclude: User | None = None
) -> int:
    rows = [
        Notification(recipient=user, title=title[:200], body=body, url=url, kind=kind)
        for user in {u.pk: u for u in users}.values()
        if exclude is None or user.pk != exclude.pk
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
