"""Which pages belong to the government side, and who may open them.

An enterprise account (企业用户) rectifies its own hazards, runs its 自查,
keeps its unit's file up to date and sees its own inspections. The pages of
supervision itself — 行动方案 and the monthly 报送, 网格, the organization
directory, 监管盲区, 高风险清单, 排查轮次 — are for the government side:
区安委办, departments and their sections, 街道, experts and read-only
accounts. A user with several memberships gets what any of them allows.

``government_only`` refuses everyone else with a plain Chinese 403 page on a
list page, and with the 404 page on a page about one object (as for anything
out of scope, its existence is not revealed); the refusal is audited like
every other one. The menu hides those entries with the same predicate
(``is_government``).
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from zhiben.audit.services import audit_record
from zhiben.org.access import VIEW_ROLES, is_active_user, memberships
from zhiben.org.choices import Role

GOVERNMENT_ROLES = (Role.DISTRICT_ADMIN, *VIEW_ROLES)
"""区安委办, departments and sections, 街道, experts and read-only accounts."""
REFUSAL = "该页面供区安委办、行业部门和街道使用。企业用户请从“隐患台账”“企业自查”和本单位档案办理本单位的事项。"


def is_government(user) -> bool:
    """Staff of the district, a department or section, a 街道, an expert or a read-only account."""
    if not is_active_user(user):
        return False
    return user.is_superuser or bool(memberships(user, GOVERNMENT_ROLES))


def require_government(request, *, not_found: bool = False, object_id: str = "") -> None:
    if not is_government(request.user):
        audit_record(
            action="access.denied",
            actor=request.user,
            object_type="page",
            object_id=object_id,
            object_repr=request.path,
        )
        if not_found:
            raise Http404("对象不存在或您无权访问")
        raise PermissionDenied(REFUSAL)


def government_only(view=None, *, not_found: bool = False):
    """View decorator: the page is for the government side (see the module
    docstring). ``@government_only(not_found=True)`` on a page about one object."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require_government(request, not_found=not_found, object_id=str(kwargs.get("pk", "")))
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate
