"""Sending notifications. Call these from ``transaction.on_commit`` so that a
rolled-back change sends nothing."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import models
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


def _label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def can_view(user: User, obj: models.Model) -> bool:
    """Whether ``user`` may see ``obj`` (its model's ``restrict``; a model
    without scope is visible to every active user)."""
    manager = type(obj)._default_manager
    if not hasattr(manager, "restrict"):
        return bool(user.is_active)
    return manager.restrict(user, "view").filter(pk=obj.pk).exists()


def visible_targets(user: User, notifications: Iterable[Notification]) -> set[int]:
    """The ids of ``notifications`` whose record ``user`` may (still) see,
    plus those about no record. One query per kind of record."""
    by_type: dict[str, dict[int, list[int]]] = {}
    visible: set[int] = set()
    for n in notifications:
        if not n.target_type or n.target_id is None:
            visible.add(n.pk)
        else:
            by_type.setdefault(n.target_type, {}).setdefault(n.target_id, []).append(n.pk)
    for label, targets in by_type.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        manager = model._default_manager
        qs = manager.restrict(user, "view") if hasattr(manager, "restrict") else manager.all()
        for pk in qs.filter(pk__in=list(targets)).values_list("pk", flat=True):
            visible.update(targets[pk])
    return visible


def notify(
    users: Iterable[User],
    *,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "",
    exclude: User | None = None,
    target: models.Model | None = None,
) -> int:
    """Send one message to each of ``users`` (once each, never to ``exclude``).
    With ``target`` (the record the message is about), users who cannot see
    it get nothing: a message never names or links a record out of scope."""
    recipients = [u for u in {u.pk: u for u in users}.values() if exclude is None or u.pk != exclude.pk]
    if target is not None:
        recipients = [u for u in recipients if can_view(u, target)]
    target_type = _label(target) if target is not None else ""
    target_id = target.pk if target is not None else None
    rows = [
        Notification(
            recipient=user,
            title=title[:200],
            body=body,
            url=url,
            kind=kind,
            target_type=target_type,
            target_id=target_id,
        )
        for user in recipients
    ]
    Notification.objects.bulk_create(rows)
    return len(rows)


def mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
