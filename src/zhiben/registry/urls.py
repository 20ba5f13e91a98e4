from django.urls import path

from zhiben.imports import views as imports_views

from . import views

app_name = "registry"

# The generic import pages of zhiben.imports, for this app's importers (tabular/).
UNITS = {"kind": "units"}
SITES = {"kind": "sites"}
CONFINED = {"kind": "confined_spaces"}

urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/import/template/", imports_views.template_download, UNITS, name="unit_template"),
    path("units/import/", imports_views.import_upload, UNITS, name="unit_import"),
    path("units/export/", views.unit_export, name="unit_export"),
    path("sites/import/template/", imports_views.template_download, SITES, name="site_template"),
    path("sites/import/", imports_views.import_upload, SITES, name="site_import"),
    path("sites/export/", views.site_export, name="site_export"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/assess/", views.unit_assess, name="unit_assess"),
    path("units/<int:pk>/flags/", views.unit_flag_add, name="unit_flag_add"),
    path("units/<int:pk>/flags/<int:flag_id>/lift/", views.unit_flag_lift, name="unit_flag_lift"),
    path("units/<int:pk>/documents/", views.unit_document_add, name="unit_document_add"),
    path("units/<int:pk>/documents/<int:document_id>/", views.unit_document_file, name="unit_document"),
    path("sites/", views.site_list, name="site_list"),
    path("sites/new/", views.site_create, name="site_create"),
    path("sites/<int:pk>/", views.site_detail, name="site_detail"),
    path("sites/<int:pk>/edit/", views.site_edit, name="site_edit"),
    path("sites/<int:pk>/assess/", views.site_assess, name="site_assess"),
    path("confined-spaces/", views.confined_list, name="confined_list"),
    path("confined-spaces/new/", views.confined_create, name="confined_create"),
    path("confined-spaces/export/", views.confined_export, name="confined_export"),
    path("confined-spaces/import/template/", imports_views.template_download, CONFINED, name="confined_template"),
    path("confined-spaces/import/", imports_views.import_upload, CONFINED, name="confined_import"),
    path("confined-spaces/<int:pk>/", views.confined_detail, name="confined_detail"),
    path("confined-spaces/<int:pk>/edit/", views.confined_edit, name="confined_edit"),
    path("confined-spaces/<int:pk>/permits/new/", views.confined_permit_add, name="confined_permit_add"),
    path("confined-spaces/permits/<int:pk>/edit/", views.confined_permit_edit, name="confined_permit_edit"),
    path("confined-spaces/permits/<int:pk>/withdraw/", views.confined_permit_withdraw, name="confined_permit_withdraw"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/new/", views.grid_create, name="grid_create"),
    path("grids/<int:pk>/edit/", views.grid_edit, name="grid_edit"),
    path("registry/high-risk/", views.high_risk, name="high_risk"),
    path("registry/blind-spots/", views.blind_spots, name="blind_spots"),
]
