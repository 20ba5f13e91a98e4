"""Helpers every service function uses.

A service function is keyword-only, runs in one transaction, checks the
actor's right, locks what it changes, validates, writes exactly one audit row
for the change and queues notifications with ``transaction.on_commit``.

``@service("hazard.verify")`` provides the transaction and the denial trail:
when the function raises PermissionDeniedError or ConflictError, its
transaction is rolled back (nothing changed) and a denial is then written to
the audit trail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import models, transaction

from .errors import ConflictError, PermissionDeniedError

P = ParamSpec("P")
R = TypeVar("R")


def service(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except (PermissionDeniedError, ConflictError) as exc:
                record_denial(action=action, actor=kwargs.get("actor"), error=exc, obj=_target(kwargs))
                raise

        wrapper.audit_action = action  # type: ignore[attr-defined]
        return wrapper

    return decorate


def _target(kwargs: dict[str, Any]) -> models.Model | None:
    for value in kwargs.values():
        if isinstance(value, models.Model) and value._meta.label_lower != "org.user":
            return value
    user = kwargs.get("user")
    return user if isinstance(user, models.Model) else None


def record_denial(*, action: str, actor, error: Exception, obj: models.Model | None = None) -> None:
    from zhiben.audit.services import audit_record

    kind = "access.denied" if isinstance(error, PermissionDeniedError) else "transition.refused"
    audit_record(
        action=kind,
        actor=actor,
        obj=obj,
        after={"attempted": action, "code": getattr(error, "code", ""), "message": str(error)},
    )


def require(condition: bool, message: str = "您没有执行此操作的权限", code: str = "permission_denied") -> None:
    if not condition:
        raise PermissionDeniedError(message, code=code)
