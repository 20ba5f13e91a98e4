"""Units and sites ⇄ Excel: the import templates and the uploads (which start
import jobs) — the generic pages of zhiben.imports for kinds "units" and
"sites" — and the exports of the lists as filtered on the list pages.
Mounted in config/urls.py with ``path("", include("zhiben.registry.urls_xlsx"))``."""

from django.urls import path

from zhiben.imports import views as imports_views

from . import views_xlsx

app_name = "registry_xlsx"
UNITS = {"kind": "units"}
SITES = {"kind": "sites"}

urlpatterns = [
    path("units/import/template/", imports_views.template_download, UNITS, name="unit_template"),
    path("units/import/", imports_views.import_upload, UNITS, name="unit_import"),
    path("units/export/", views_xlsx.unit_export, name="unit_export"),
    path("sites/import/template/", imports_views.template_download, SITES, name="site_template"),
    path("sites/import/", imports_views.import_upload, SITES, name="site_import"),
    path("sites/export/", views_xlsx.site_export, name="site_export"),
]
