"""Read-side helpers of notify: whom to tell (the recipients of a message) and
a user's inbox. No writes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from zhiben.org.access import HANDLER_ROLES, subtree_q
from zhiben.org.choices import Role
from zhiben.org.models import Organization, User

from .access import visible_notifications
from .models import Notification

DEPARTMENT_ROLES = HANDLER_ROLES
"""部门领导/经办人/街道经办人: who hears about the work of their organization."""


def recipients_in(organization: Organization, roles: Iterable[str] = DEPARTMENT_ROLES) -> list[User]:
    """Active users holding one of ``roles`` in ``organization`` or below."""
    return list(
        User.objects.filter(
            subtree_q("memberships__organization", organization),
            is_active=True,
            memberships__is_active=True,
            memberships__role__in=list(roles),
        ).distinct()
    )


def district_admins() -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, memberships__is_active=True, memberships__role=Role.DISTRICT_ADMIN
        ).distinct()
    )


def inbox(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's messages (newest first, the model's order), optionally only the unread ones."""
    qs = visible_notifications(user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notification_of(user: User, pk: int) -> Notification | None:
    """One of the user's messages, or None."""
    return visible_notifications(user).filter(pk=pk).first()
