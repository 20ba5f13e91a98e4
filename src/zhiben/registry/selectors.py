"""Read-side helpers of the registry: the filtered unit, site and 有限空间 lists
of the pages, the API and the exports, a record's recent audit events, the grid list.
No writes. Monthly figures (高风险清单, 盲区) are in ``reports``."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .access import visible_confined_spaces, visible_grids, visible_sites, visible_units
from .filters import SiteFilterSet, UnitFilterSet
from .models import ConfinedSpace, Grid, Site, Unit


def _filtered(filterset_class, data, queryset, user):
    filterset = filterset_class(data or None, queryset=queryset, user=user)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.order_by("name", "pk")


def filter_units(user, params) -> tuple[UnitFilterSet, QuerySet[Unit]]:
    """The unit filter of ``params`` (a QueryDict: the list's query string) and the units
    ``user`` sees that it selects (all visible units while the filter is empty or invalid), by name."""
    return _filtered(UnitFilterSet, params, visible_units(user), user)


def filter_sites(user, params) -> tuple[SiteFilterSet, QuerySet[Site]]:
    """The site filter of ``params`` and the sites ``user`` sees that it selects (all visible
    sites while the filter is empty or invalid), by name."""
    return _filtered(SiteFilterSet, params, visible_sites(user), user)


def filtered_units(request) -> tuple[UnitFilterSet, QuerySet[Unit]]:
    """The unit list page's filter and units (``request.GET``, ``request.user``)."""
    return filter_units(request.user, request.GET)


def filtered_sites(request) -> tuple[SiteFilterSet, QuerySet[Site]]:
    """The site list page's filter and sites (``request.GET``, ``request.user``)."""
    return filter_sites(request.user, request.GET)


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


def filter_confined_spaces(user, params):
    """The 有限空间 filter of ``params`` (``forms.ConfinedSpaceFilterSet``) and the spaces
    ``user`` sees that it selects (all visible ones while the filter is empty or invalid),
    by unit then code."""
    from .forms import ConfinedSpaceFilterSet

    filterset = ConfinedSpaceFilterSet(params or None, queryset=visible_confined_spaces(user), user=user)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    return filterset, qs.order_by("unit__name", "unit_id", "code", "name", "pk")


def units_for_confined(user) -> QuerySet[Unit]:
    """The units whose confined spaces ``user`` may register (the form's choices), by name."""
    from .access import confined_units

    return confined_units(user).order_by("name")


def confined_space_permits(space: ConfinedSpace):
    return space.permits.select_related("recorded_by", "withdrawn_by", "space__unit")
