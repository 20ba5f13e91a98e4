"""Hazard ledger ⇄ Excel: the import template, the upload (which starts an
import job) — both the generic pages of zhiben.imports for kind "hazards" —
and the export of the list as filtered on the list page."""

from django.urls import path

from zhiben.imports import views as imports_views

from . import views_xlsx

app_name = "hazards_xlsx"
KIND = {"kind": "hazards"}

urlpatterns = [
    path("hazards/import/template/", imports_views.template_download, KIND, name="template"),
    path("hazards/import/", imports_views.import_upload, KIND, name="import"),
    path("hazards/export/", views_xlsx.export_download, name="export"),
]
