"""Helpers every service function uses.

A service function is keyword-only, runs in one transaction, checks the
actor's right, locks what it changes, validates, writes exactly one audit row
for the change and queues notifications with ``transaction.on_commit``.

``@service("hazard.verify")`` provides the transaction and the denial trail:
when the function raises PermissionDeniedError or ConflictError, its
transaction is rolled back (nothing changed) and a denial is then written to
the audit trail.

A busy SQLite database (another connection holds the write lock past the busy
timeout) fails the transaction's ``BEGIN IMMEDIATE`` before the function ran:
the decorator then tries again a few times, and finally raises
:class:`DatabaseBusy` (503, a Chinese message), never a raw OperationalError.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.db import OperationalError, models, transaction

from .errors import ConflictError, PermissionDeniedError, ServiceError
from .recorder import audit_record

P = ParamSpec("P")
R = TypeVar("R")


BUSY_MESSAGE = "系统繁忙（数据库正在写入），本次操作未保存，请稍后重试"
BUSY_RETRIES = 3
BUSY_BACKOFF = (0.2, 0.5, 1.0)  # seconds, on top of the database's own busy timeout


class DatabaseBusy(ServiceError):
    """The database stayed locked by another writer; nothing was changed (503)."""

    status = 503
    default_code = "database_busy"
    retry_after = 5  # seconds, sent as Retry-After

    def __init__(self, message: str = BUSY_MESSAGE, **kwargs):
        super().__init__(message, **kwargs)


def is_database_busy(exc: BaseException) -> bool:
    """A transient lock error: SQLite's "database is locked" / "database table
    is locked" (SQLITE_BUSY / SQLITE_LOCKED), or our own DatabaseBusy."""
    if isinstance(exc, DatabaseBusy):
        return True
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


def service(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            attempt = 0
            while True:
                started = False
                try:
                    with transaction.atomic():
                        started = True
                        return fn(*args, **kwargs)
                except (PermissionDeniedError, ConflictError) as exc:
                    record_denial(action=action, actor=kwargs.get("actor"), error=exc, obj=_target(kwargs))
                    raise
                except OperationalError as exc:
                    if not is_database_busy(exc):
                        raise
                    if started or attempt >= BUSY_RETRIES:
                        # Past BEGIN the function may have had effects outside
                        # the database: report, do not run it again.
                        raise DatabaseBusy() from exc
                    # BEGIN IMMEDIATE itself timed out: nothing ran, try again.
                    time.sleep(BUSY_BACKOFF[min(attempt, len(BUSY_BACKOFF) - 1)])
                    attempt += 1

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
