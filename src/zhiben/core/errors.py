"""Errors raised by the service layer.

Each carries a stable machine-readable ``code`` and a Chinese ``message``.
The API turns them into ``{"code", "message", "details"}`` with ``status``;
views show ``message`` to the user.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details

    def __str__(self) -> str:
        return self.message


class PermissionDeniedError(ServiceError):
    """The actor may not do this (403)."""

    status = 403
    default_code = "permission_denied"


class ConflictError(ServiceError):
    """The request conflicts with the current state (409): a forbidden or
    stale transition, a duplicate."""

    status = 409
    default_code = "conflict"


class ValidationFailed(ServiceError):
    """Input is invalid (422); ``details`` maps field names to messages."""

    status = 422
    default_code = "validation_failed"
