"""Models of civildefence (人防工程): the 使用备案 of public civil-defence works
(registry Sites of type ``civil_air_defense``) and the history of their use state.

A filing is seen like its site (the site's owner subtree and its 街道:
``scope_spec`` through ``site``), and by the 科室 of the owning department
(``department_q``); it is never tied to a unit for scope, so an enterprise
account sees none (see access.py). The monthly checks are
inspections of the zhiben.inspections app (checklist ``civil-defense-monthly``);
nothing about them is stored here.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

from zhiben.core.fields import ChoiceColor, user_fk
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec, scope_q

from .choices import FilingState, Purpose

SITE_TYPE = "civil_air_defense"
CHECKLIST_CODE = "civil-defense-monthly"
EXPIRY_WARNING_DAYS = 30
AREA_MAX = 1_000_000  # m²: the largest works in the district are a few 10,000 m²


def department_q(user, action: str, prefix: str) -> Q | None:
    """The works a 科室's staff follow beyond their own subtree: every work owned
    within their department (区国动办's 科室 — 防护工程科, 区民防管理中心 … — work on the
    works the type's ownership gives the department itself). "view": the 科室's
    领导, 经办人 and 只读 members; "change": its 领导 and 经办人. None: nothing more
    than ``core.scoping``. ``prefix`` is the path to the Site ("site__")."""
    from zhiben.org.choices import OrgKind, Role
    from zhiben.org.models import Organization

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    roles = {Role.DEPT_LEADER, Role.DEPT_OFFICER} | ({Role.READONLY} if action == "view" else set())
    q = None
    for m in user.active_memberships():
        org = m.organization
        if m.role not in roles or org.kind != OrgKind.SECTION:
            continue
        department = org.department
        if department.pk == org.pk:
            continue
        orgs = Organization.objects.subtree_of(department).order_by().values("pk")
        more = Q(**{f"{prefix}owner__in": orgs})
        q = more if q is None else q | more
    return q


class FilingQuerySet(RestrictedQuerySet):
    """``core.scoping`` through the site, plus ``department_q`` (a 科室 follows its department's works)."""

    def restrict(self, user, action="view", *, paging: bool = False):
        q = scope_q(user, action, self.model.scope_spec, paging)
        if q is None:
            return self.all()
        extra = department_q(user, action, self.model.site_prefix)
        return self.filter(q if extra is None else q | extra)


class UseFiling(models.Model):
    """使用备案: one filing of a public civil-defence work — who uses it, for
    what, how large, filed when and valid until when, who maintains it — and
    its use state (在用/闲置/报废; 报废 is final). A work has at most one
    filing that is not 报废; a retired work may be filed again."""

    site = models.ForeignKey(
        "registry.Site", on_delete=models.PROTECT, related_name="use_filings", verbose_name="人防工程"
    )
    filing_no = models.CharField("备案编号", max_length=40, unique=True)
    state = models.CharField("使用状态", max_length=10, choices=FilingState.choices, default=FilingState.IN_USE)
    user_unit = models.ForeignKey(
        "registry.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="civildefence_filings",
        verbose_name="使用单位（已登记单位）",
    )
    user_name = models.CharField("使用单位名称", max_length=100, blank=True, help_text="未登记为单位时填写名称")
    purpose = models.CharField("用途", max_length=12, choices=Purpose.choices)
    area_m2 = models.DecimalField("使用面积（平方米）", max_digits=9, decimal_places=2)
    filed_on = models.DateField("备案日期")
    valid_until = models.DateField("备案有效期至")
    manager_name = models.CharField("维护管理责任人", max_length=50)
    note = models.CharField("备注", max_length=300, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_by = user_fk("登记人")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = FilingQuerySet.as_manager()
    scope_spec = ScopeSpec(org="site__owner", street="site__street")
    site_prefix = "site__"

    class Meta:
        verbose_name = "人防工程使用备案"
        verbose_name_plural = "人防工程使用备案"
        ordering = ["-filed_on", "-id"]
        indexes = [
            models.Index(fields=["state", "site"], name="cd_filing_state_site"),
            models.Index(fields=["valid_until"], name="cd_filing_valid_until"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["site"], condition=~Q(state="retired"), name="cd_filing_one_open_per_site"),
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("filed_on")), name="cd_filing_validity"),
            models.CheckConstraint(condition=Q(area_m2__gt=0, area_m2__lte=AREA_MAX), name="cd_filing_area_range"),
        ]

    def __str__(self) -> str:
        return f"{self.filing_no} {self.site}"

    state_color = ChoiceColor("state", FilingState)

    @property
    def is_final(self) -> bool:
        return self.state == FilingState.RETIRED

    @property
    def user_label(self) -> str:
        """使用单位 as shown: the registered unit's name, else the name typed in."""
        if self.user_unit_id:
            return self.user_unit.name
        return self.user_name

    def due_status(self, today: dt.date) -> str:
        """ "expired", "expiring" (within 30 days) or "valid"."""
        if self.valid_until < today:
            return "expired"
        if self.valid_until <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
            return "expiring"
        return "valid"


class FilingStateChange(models.Model):
    """One entry of a filing's state history: its first state when filed
    (``from_state`` empty, ``changed_on`` the 备案日期) and every change after
    (``changed_on`` the day it was made), with who made it and why."""

    filing = models.ForeignKey(UseFiling, on_delete=models.CASCADE, related_name="changes", verbose_name="使用备案")
    from_state = models.CharField("原状态", max_length=10, choices=FilingState.choices, blank=True)
    to_state = models.CharField("新状态", max_length=10, choices=FilingState.choices)
    changed_on = models.DateField("变更日期")
    reason = models.CharField("原因", max_length=300, blank=True)
    actor = user_fk("操作人")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    objects = FilingQuerySet.as_manager()
    scope_spec = ScopeSpec(org="filing__site__owner", street="filing__site__street")
    site_prefix = "filing__site__"

    class Meta:
        verbose_name = "使用状态变更"
        verbose_name_plural = "使用状态变更"
        ordering = ["filing", "changed_on", "id"]
        indexes = [models.Index(fields=["filing", "changed_on"], name="cd_change_filing_on")]

    def __str__(self) -> str:
        return f"{self.filing.filing_no} {self.get_from_state_display() or '登记'}→{self.get_to_state_display()}"

    to_color = ChoiceColor("to_state", FilingState)
