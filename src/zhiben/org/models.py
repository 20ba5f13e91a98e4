"""Organizations (a tree), users and their memberships."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from zhiben.core.fields import ChoiceColor, user_fk
from zhiben.core.scoping import RestrictedQuerySet, ScopeSpec

from .choices import OrgKind, Role

PATH_STEP = 7  # "0000042/": 6 digits and a slash per level


class OrganizationQuerySet(RestrictedQuerySet):
    def streets(self) -> OrganizationQuerySet:
        return self.filter(kind=OrgKind.STREET)

    def departments(self) -> OrganizationQuerySet:
        return self.filter(kind__in=[OrgKind.DEPARTMENT, OrgKind.OFFICE])

    def subtree_of(self, org: Organization) -> OrganizationQuerySet:
        return self.filter(path__startswith=org.path)

    def matching_name(self, name: str) -> OrganizationQuerySet:
        """Organizations whose name, short name or an alias is ``name``."""
        name = (name or "").strip()
        return self.filter(Q(name=name) | Q(short_name=name) | Q(aliases__alias=name)).distinct()

    def resolve(self, name: str, within: Organization | None = None) -> Organization | None:
        """The one organization called ``name`` (inside ``within`` when given,
        which disambiguates section names such as 办公室), or None."""
        qs = self.matching_name(name)
        if within is not None:
            qs = qs.filter(path__startswith=within.path)
        found = list(qs[:2])
        return found[0] if len(found) == 1 else None


class Organization(models.Model):
    """组织: district → 委办局 → 科室, 街道 (territorial) and external bodies.

    ``path`` is a materialised path ("0000001/0000007/") so that a subtree is
    one indexed prefix query.
    """

    code = models.SlugField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=60, blank=True)
    kind = models.CharField("类型", max_length=16, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级组织", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField("路径", max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField("层级", default=0, editable=False)
    sort_order = models.PositiveIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("备注", max_length=200, blank=True)

    objects = OrganizationQuerySet.as_manager()
    scope_spec = ScopeSpec(self_org=True)

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        expected_path = f"{self.parent.path if self.parent_id else ''}{self.pk:06d}/"
        if self.path != expected_path:
            old_path = self.path
            self.path = expected_path
            self.depth = expected_path.count("/") - 1
            type(self).objects.filter(pk=self.pk).update(path=self.path, depth=self.depth)
            if old_path:
                self._move_descendants(old_path, expected_path)

    def _move_descendants(self, old_path: str, new_path: str) -> None:
        for child in type(self).objects.filter(path__startswith=old_path).exclude(pk=self.pk):
            child.path = new_path + child.path[len(old_path) :]
            child.depth = child.path.count("/") - 1
            type(self).objects.filter(pk=child.pk).update(path=child.path, depth=child.depth)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    kind_color = ChoiceColor("kind", OrgKind)

    def ancestors(self) -> OrganizationQuerySet:
        prefixes = [self.path[: i + PATH_STEP] for i in range(0, len(self.path) - PATH_STEP, PATH_STEP)]
        return type(self).objects.filter(path__in=prefixes)

    def is_within(self, other: Organization) -> bool:
        return self.path.startswith(other.path)

    @property
    def department(self) -> Organization:
        """The 委办局 (or 街道) this organization belongs to: itself for a
        department, its nearest department ancestor for a section."""
        if self.kind != OrgKind.SECTION:
            return self
        return self.ancestors().exclude(kind=OrgKind.SECTION).order_by("-depth").first() or self


class OrganizationAlias(models.Model):
    """Another name of an organization ("区建管委" = "区建设管理委员会")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField("别名", max_length=100, unique=True)

    class Meta:
        verbose_name = "组织别名"
        verbose_name_plural = "组织别名"
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias


class ZhibenUserManager(UserManager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """A person who logs in. What they may see follows from their memberships."""

    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    objects = ZhibenUserManager()
    # Users are managed by administrators; scope by membership organization.
    scope_spec = ScopeSpec(org="memberships__organization", distinct=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def active_memberships(self) -> list[Membership]:
        cache = getattr(self, "_membership_cache", None)
        if cache is None:
            cache = list(
                self.memberships.filter(is_active=True, organization__is_active=True).select_related(
                    "organization", "unit"
                )
            )
            self._membership_cache = cache
        return cache

    def forget_memberships(self) -> None:
        self.__dict__.pop("_membership_cache", None)
        self.__dict__.pop("is_district_admin", None)

    def has_role(self, *roles: str) -> bool:
        return any(m.role in roles for m in self.active_memberships())

    @cached_property
    def is_district_admin(self) -> bool:
        return self.is_superuser or self.has_role(Role.DISTRICT_ADMIN)

    @property
    def primary_membership(self) -> Membership | None:
        memberships = self.active_memberships()
        return memberships[0] if memberships else None


class Membership(models.Model):
    """A user's role in an organization; an 企业用户 is also bound to one unit."""

    user = user_fk("用户", on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships", verbose_name="组织"
    )
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        "registry.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name="所属单位",
    )
    title = models.CharField("职务", max_length=50, blank=True)
    is_active = models.BooleanField("有效", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        ordering = ["user_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role"),
            models.CheckConstraint(
                condition=Q(role=Role.ENTERPRISE, unit__isnull=False)
                | (~Q(role=Role.ENTERPRISE) & Q(unit__isnull=True)),
                name="membership_unit_iff_enterprise",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_role_display()}"

    role_color = ChoiceColor("role", Role)
