"""Who sees and does what with 人防工程使用备案 — every access decision of this app is here.

Visibility (``UseFiling.objects.restrict(user, "view")``, core.scoping through the
filing's site, exactly like registry sites):

* 区安委办管理员 and superusers: every filing;
* 部门领导/部门经办人, 第三方专家 and 只读 accounts: filings of works whose site is
  owned by their organization's subtree;
* besides, the 领导, 经办人 and 只读 members of a 科室 see the filings of every work
  owned within their department (the works of type 人防工程 belong to 区国动办 itself,
  and its 科室 — 防护工程科, 区民防管理中心 — do the work: ``models.department_q``);
* 街道经办人: filings of works located in their 街道 (and owned by the 街道's subtree);
* 企业用户 and everyone else: nothing — list pages refuse them (government pages),
  a filing's page and API answer 404, so its existence is not revealed.

The same rule decides the state history and the monthly check page (only works the
user sees are listed; an inspection is linked only when the user sees it,
``zhiben.inspections.access.visible_inspections``).

Rights beyond seeing — register a filing, edit it, change its use state
(转为闲置, 恢复使用, 报废), import filings from Excel: the district office, the
部门领导/部门经办人 of the site owner's organization or an organization above it, and
those of any 科室 of the owner's department.
街道经办人, experts and read-only accounts only read. A 报废 filing is final: nobody
edits it or changes its state (the services refuse with a Chinese message).
"""

from __future__ import annotations

from django.db.models import QuerySet

from zhiben.org.access import (
    STAFF_ROLES,
    holds_role_over,
    is_active_user,
    is_admin,
    leads_within,
    memberships,
    organizations,
    subtree_q,
)
from zhiben.org.models import User
from zhiben.registry.models import Site

from .models import SITE_TYPE, FilingStateChange, UseFiling

__all__ = [
    "can_manage_filing",
    "can_manage_site",
    "can_register_filings",
    "filing_sites",
    "visible_changes",
    "visible_filings",
]


def visible_filings(user) -> QuerySet[UseFiling]:
    """The filings ``user`` sees (nothing for enterprise accounts)."""
    return UseFiling.objects.restrict(user, "view")


def visible_changes(user) -> QuerySet[FilingStateChange]:
    return FilingStateChange.objects.restrict(user, "view")


def can_register_filings(user: User) -> bool:
    """Whether to offer 登记/导入 at all (the site is checked by :func:`can_manage_site`)."""
    return is_admin(user) or bool(memberships(user, STAFF_ROLES))


def can_manage_site(user: User, site: Site | None) -> bool:
    """File, edit and change the state of filings of ``site``: the district office,
    the staff of the site owner's organization or above it."""
    if site is None or not is_active_user(user):
        return False
    if is_admin(user) or holds_role_over(user, site.owner, STAFF_ROLES):
        return True
    # a 科室 of the owner's department (its staff work on the department's works)
    return site.owner is not None and leads_within(user, site.owner.department, STAFF_ROLES)


def can_manage_filing(user: User, filing: UseFiling) -> bool:
    return can_manage_site(user, filing.site)


def filing_sites(user: User) -> QuerySet[Site]:
    """The active civil-defence works ``user`` may file (the form's and importer's choices)."""
    sites = Site.objects.filter(site_type__code=SITE_TYPE, is_active=True)
    if is_admin(user):
        return sites
    if not is_active_user(user):
        return sites.none()
    departments = {org.department.pk: org.department for org in organizations(user, STAFF_ROLES)}
    return sites.filter(subtree_q("owner", list(departments.values())))
