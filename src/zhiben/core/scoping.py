"""Who sees what: the one place that decides read and write scope.

Every scoped model declares a :class:`ScopeSpec` naming the fields that tie a
record to an owning organization, a 街道 and a unit, and uses
:class:`RestrictedQuerySet`. ``Model.objects.restrict(user, action)`` returns
exactly the rows the user may see ("view") or act on ("change").

Rules (a user may hold several memberships; their scopes are united):

* superusers and 区安委办管理员 (district_admin): everything;
* 部门领导 / 部门经办人 (dept_leader / dept_officer): records owned by their
  organization or any organization below it;
* 街道经办人 (street_officer): records located in their 街道, plus records
  owned by the 街道's own organization subtree;
* 企业用户 (enterprise): records of their own unit only;
* 第三方专家 (expert) and 只读 (readonly): like a department member for
  "view", nothing for "change" (experts act only on records assigned to them,
  which the owning app grants explicitly).

Anonymous and inactive users see nothing.

``core`` sits below ``org`` (docs/architecture.md, "Dependency order"), so it
names neither the Organization model nor the roles: the model is looked up in
the app registry, and ``org`` registers which role values mean which scope
(:func:`register_roles`, from ``OrgConfig.ready()``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.lookups import In

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser as User

Action = Literal["view", "change"]
ACTIONS: tuple[str, ...] = ("view", "change")


@dataclass(frozen=True)
class ScopeSpec:
    """Field paths that tie a model's rows to scope.

    ``org``: FK path (or several) to the owning Organization (subtree match
    on its ``path``); ``street``: FK path to the 街道 Organization; ``unit``: FK path to
    the Unit; ``self_org``: the model *is* an Organization.
    """

    org: str | tuple[str, ...] | None = None
    street: str | None = None
    unit: str | None = None
    self_org: bool = False
    distinct: bool = False  # set when a path crosses a to-many relation
    # A department's or 街道's share of the rows is large (hazards: ~10 %).
    # SQLite has no statistics (the app never runs ANALYZE), so for a page
    # (newest first, LIMIT) it would fetch the whole share through the org
    # index and sort it. With this set, ``restrict(..., paging=True)`` does
    # not offer the org columns to it as an index: the filters' indexes or
    # the newest-first walk lead instead. Counts and sums keep the index,
    # which is what they need (bench/RESULTS.md).
    broad_org: bool = False


@dataclass(frozen=True)
class ScopeRoles:
    """Which membership role values grant which scope (registered by ``org``)."""

    everything: frozenset[str]  # sees and changes every record
    org_subtree: frozenset[str]  # records owned by the organization's subtree
    street: frozenset[str]  # the subtree, plus records located in the 街道
    unit: frozenset[str]  # records of the membership's own unit
    view_only: frozenset[str]  # never "change", whatever else they grant


_roles: ScopeRoles | None = None


def register_roles(roles: ScopeRoles) -> None:
    """Called once by ``zhiben.org`` when the app registry is ready."""
    global _roles
    _roles = roles


def _scope_roles() -> ScopeRoles:
    if _roles is None:
        raise ImproperlyConfigured("zhiben.org is not installed: no scope roles are registered")
    return _roles


class _NotIndexed(Func):
    """``+column`` on SQLite (the column is then not used to pick an index); the column elsewhere."""

    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra)


def _subtree(prefix: str, path: str, broad: bool = False) -> Q:
    """Records owned by the organization at ``path`` or below.

    For a foreign key this is ``owner_id IN (SELECT id FROM org WHERE path
    LIKE 'p%')``: the organization table is small, and the big table is then
    filtered on its own indexed column instead of joining."""
    if not prefix:
        return Q(path__startswith=path)
    organization = apps.get_model("org", "Organization")
    orgs = organization.objects.filter(path__startswith=path).order_by().values("pk")
    if broad:
        return Q(In(_NotIndexed(F(f"{prefix[:-2]}_id"), output_field=models.IntegerField()), orgs))
    return Q(**{f"{prefix[:-2]}__in": orgs})


def scope_q(user: User, action: str, spec: ScopeSpec, paging: bool = False) -> Q | None:
    """The filter for ``user`` doing ``action``; ``None`` means "no filter"
    (sees everything); an empty ``Q(pk__in=[])`` means nothing. ``paging``:
    see ``ScopeSpec.broad_org`` (the same rows either way)."""
    roles = _scope_roles()
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    nothing = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return nothing
    if user.is_superuser:
        return None
    memberships = user.active_memberships()
    if any(m.role in roles.everything for m in memberships):
        return None

    if spec.self_org:
        org_prefixes = [""]
    elif isinstance(spec.org, tuple):
        org_prefixes = [f"{path}__" for path in spec.org]
    else:
        org_prefixes = [f"{spec.org}__"] if spec.org else []
    broad = paging and spec.broad_org
    q = nothing
    for m in memberships:
        if action == "change" and m.role in roles.view_only:
            continue
        if m.role in roles.org_subtree:
            for prefix in org_prefixes:
                q |= _subtree(prefix, m.organization.path, broad)
        elif m.role in roles.street:
            for prefix in org_prefixes:
                q |= _subtree(prefix, m.organization.path, broad)
            if spec.street:
                q |= Q(**{spec.street: m.organization_id})
        elif m.role in roles.unit and spec.unit and m.unit_id:
            q |= Q(**{spec.unit: m.unit_id})
    return q


class RestrictedQuerySet(models.QuerySet):
    """QuerySet with ``restrict(user, action)``; the model must define
    ``scope_spec``."""

    def restrict(self, user: User, action: Action = "view", *, paging: bool = False) -> RestrictedQuerySet:
        """``paging=True`` for a page read newest first (see ``ScopeSpec.broad_org``)."""
        spec: ScopeSpec = self.model.scope_spec
        q = scope_q(user, action, spec, paging)
        if q is None:
            return self.all()
        return self.filter(q).distinct() if spec.distinct else self.filter(q)


def can(user: User, action: Action, obj: models.Model) -> bool:
    """Whether ``user`` may ``action`` this object (same rules as restrict)."""
    return type(obj)._default_manager.restrict(user, action).filter(pk=obj.pk).exists()
