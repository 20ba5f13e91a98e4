"""The audit trail as core sees it: a hook, so core never imports the audit app.

``core`` sits below every app (docs/architecture.md, "Dependency order"), yet its
services decorator and its scoped lookups write audit rows (refusals, out-of-scope
attempts). The audit app registers its ``audit_record`` here from
``AuditConfig.ready()``; core calls :func:`audit_record`, which forwards to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_recorder: Callable[..., Any] | None = None


def register_recorder(recorder: Callable[..., Any]) -> None:
    """Called once by ``zhiben.audit`` when the app registry is ready."""
    global _recorder
    _recorder = recorder


def audit_record(**kwargs: Any) -> Any:
    """Write one audit row through the registered recorder (keyword arguments as
    ``zhiben.audit.services.audit_record``)."""
    if _recorder is None:
        raise ImproperlyConfigured("zhiben.audit is not installed: no audit recorder is registered")
    return _recorder(**kwargs)
