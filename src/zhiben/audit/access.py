"""Who reads the audit log — every access decision of the audit app is here.

* reading the audit log (list, one event, verifying the hash chain): the
  district office — 区安委办管理员 and superusers — and nobody else; the same
  people who administer users (org's ``can_manage_users``);
* nobody changes or deletes an audit event: rows are only ever appended by
  ``services.audit_record`` (inside the service that makes the change).

The audit app sits below ``org`` in the dependency order, so it does not
import it: the rule reads the user's own ``is_district_admin`` (which counts
superusers and 区安委办管理员 memberships).
"""

from __future__ import annotations


def can_read_audit_log(user) -> bool:
    """The district office (区安委办管理员) and superusers, signed in and active."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "is_district_admin", False)
    )


__all__ = ["can_read_audit_log"]
