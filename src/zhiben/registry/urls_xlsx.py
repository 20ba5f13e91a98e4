"""Excel import/export of units and sites. Mounted in config/urls.py with
``path("", include("zhiben.registry.urls_xlsx"))``."""

from django.urls import path

from . import views_xlsx

app_name = "registry_xlsx"

urlpatterns = [
    path("units/import/template/", views_xlsx.unit_template_download, name="unit_template"),
    path("units/import/", views_xlsx.unit_import, name="unit_import"),
    path("units/export/", views_xlsx.unit_export, name="unit_export"),
    path("sites/import/template/", views_xlsx.site_template_download, name="site_template"),
    path("sites/import/", views_xlsx.site_import, name="site_import"),
    path("sites/export/", views_xlsx.site_export, name="site_export"),
]
