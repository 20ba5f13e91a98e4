"""The unit and site exports: the lists as filtered (same query string as the
list pages), within the viewer's scope. The template and upload pages are
zhiben.imports' generic ones (see urls_xlsx.py); the columns, importers and
exports are in the tabular package."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from zhiben.imports.views import export_response

from .tabular import export_sites, export_units
from .views import filtered_sites, filtered_units


@login_required
@require_GET
def unit_export(request):
    """The unit list as filtered (same query string as /units/), within the
    viewer's scope; phones masked unless the viewer may see them."""
    _, qs = filtered_units(request)
    return export_response(
        request,
        action="unit.export",
        object_type="registry.unit",
        filename="生产经营单位",
        write=lambda fh: export_units(qs, fh, user=request.user),
    )


@login_required
@require_GET
def site_export(request):
    """The site list as filtered (same query string as /sites/), within the
    viewer's scope."""
    _, qs = filtered_sites(request)
    return export_response(
        request,
        action="site.export",
        object_type="registry.site",
        filename="场所与点位",
        write=lambda fh: export_sites(qs, fh),
    )
