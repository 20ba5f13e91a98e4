"""Who reads which message — every access decision of the notify app is here.

* a user sees, reads and marks read only the messages addressed to them;
* a message about a record (``target``) is delivered only to users who may
  see that record at the moment it is sent (:func:`can_view`);
* a delivered message about a record opens only while its recipient may
  still see the record (:func:`visible_targets`); otherwise the inbox shows
  it without a link (the record may have moved out of their scope);
* "may see a record" is its model's ``restrict(user, "view")``; a model
  without scope is visible to every active user.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db import models
from django.db.models import QuerySet

from zhiben.org.models import User

from .models import Notification


def visible_notifications(user: User) -> QuerySet[Notification]:
    """The messages addressed to ``user``."""
    return Notification.objects.filter(recipient=user)


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
