"""Read-side helpers of the registry: the filtered unit and site lists of the
pages, the API and the exports, a record's recent audit events, the grid list.
No writes. Monthly figures (高风险清单, 盲区) are in ``reports``."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from zhiben.audit.models import AuditEvent

from .access import visible_grids, visible_sites, visible_units
from .filters import SiteFilterSet, UnitFilterSet
from .models import Grid, Site, Unit


def _filtered(filterset_class, data, queryset, user):
    filterset = filterset_class(data or None, queryset=queryset, user=user)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.order_by("name", "pk")


def filtered_units(request) -> tuple[UnitFilterSet, QuerySet[Unit]]:
    """The unit filter of ``request.GET`` and the visible units it selects
    (all visible units while the filter is empty or invalid), by name."""
    return _filtered(UnitFilterSet, request.GET, visible_units(request.user), request.user)


def filtered_sites(request) -> tuple[SiteFilterSet, QuerySet[Site]]:
    """The site filter of ``request.GET`` and the visible sites it selects
    (all visible sites while the filter is empty or invalid), by name."""
    return _filtered(SiteFilterSet, request.GET, visible_sites(request.user), request.user)


def recent_events(object_type: str, pk: int, limit: int = 30) -> QuerySet[AuditEvent]:
    """The last ``limit`` audit events of one record (``registry.unit`` / ``registry.site``)."""
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(pk)).order_by("-id")[:limit]


def grid_list(user) -> QuerySet[Grid]:
    """The visible grids with their owner, streets, inspectors and site count."""
    return (
        visible_grids(user)
        .select_related("owner")
        .prefetch_related("streets", "inspectors")
        .annotate(n_sites=Count("sites", distinct=True))
    )


def unit_is_visible(user, unit_id: int | None) -> bool:
    return bool(unit_id) and visible_units(user).filter(pk=unit_id).exists()
