"""Sending notifications. Call these from ``transaction.on_commit`` so that a
rolled-back change sends nothing. Who may read what is in ``access``; whom
to tell (``recipients_in``, ``district_admins``) is in ``selectors``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from zhiben.org.models import User

from .access import can_view, visible_targets
from .models import Notification
from .selectors import DEPARTMENT_ROLES, district_admins, recipients_in

# Re-exported: callers write ``notify.recipients_in(...)`` (see selectors/access for the rules).
__all__ = [
    "DEPARTMENT_ROLES",
    "can_view",
    "district_admins",
    "mark_read",
    "notify",
    "recipients_in",
    "visible_targets",
]


def _label(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


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
