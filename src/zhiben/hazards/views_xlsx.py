"""The hazard ledger's export page: the list as filtered (same query string
as the list page), within the user's scope. The template and upload pages are
zhiben.imports' generic ones (see urls_xlsx.py); the columns, importer and
export are in tabular.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from zhiben.imports.views import export_response
from zhiben.web.toolkit import error_page

from .tabular import export_hazards
from .views import filtered_hazards


@login_required
@require_GET
def export_download(request):
    filterset, qs = filtered_hazards(request)
    if filterset.error_message:  # never export the whole list for a filter that was meant
        return error_page(request, 400, filterset.error_message)
    return export_response(
        request,
        action="hazard.export",
        object_type="hazards.hazard",
        filename="隐患台账",
        write=lambda fh: export_hazards(qs, fh),
    )
