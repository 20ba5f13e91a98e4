"""Fetching single objects within the user's scope.

Out-of-scope objects answer 404 (not 403) so that their existence is not
revealed; the attempt is still written to the audit trail.
"""

from __future__ import annotations

from typing import TypeVar

from django.db import models
from django.http import Http404

from .recorder import audit_record

M = TypeVar("M", bound=models.Model)


def get_scoped_or_404(model: type[M], user, action: str = "view", **lookup) -> M:
    try:
        return model._default_manager.restrict(user, action).get(**lookup)
    except (model.DoesNotExist, ValueError, TypeError):
        pass
    except model.MultipleObjectsReturned:  # pragma: no cover - lookups are unique
        raise Http404 from None
    try:
        existing = model._default_manager.filter(**lookup).first()
    except (ValueError, TypeError):
        existing = None
    if existing is not None:
        audit_record(action="access.denied", actor=user, obj=existing, after={"attempted": f"{action}"})
    raise Http404("对象不存在或您无权访问")


def get_from_or_404(qs, user, **lookup):
    """Like get_scoped_or_404 for a queryset already narrowed by an app's own
    access selector: out of scope is 404, and the attempt on an existing
    object is audited."""
    obj = qs.filter(**lookup).first()
    if obj is not None:
        return obj
    try:
        existing = qs.model._default_manager.filter(**lookup).first()
    except (ValueError, TypeError):
        existing = None
    if existing is not None:
        audit_record(action="access.denied", actor=user, obj=existing, after={"attempted": "view"})
    raise Http404("对象不存在或您无权访问")
