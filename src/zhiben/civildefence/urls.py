from django.urls import path

from zhiben.imports import views as imports_views

from . import views

app_name = "civildefence"

IMPORT = {"kind": "civildefence_filings"}

urlpatterns = [
    path("civildefence/filings/", views.filing_list, name="list"),
    path("civildefence/filings/new/", views.filing_create, name="create"),
    path("civildefence/filings/export/", views.filing_export, name="export"),
    path("civildefence/filings/import/template/", imports_views.template_download, IMPORT, name="template"),
    path("civildefence/filings/import/", imports_views.import_upload, IMPORT, name="import"),
    path("civildefence/filings/<int:pk>/", views.filing_detail, name="detail"),
    path("civildefence/filings/<int:pk>/edit/", views.filing_edit, name="edit"),
    path("civildefence/filings/<int:pk>/transition/<slug:name>/", views.filing_transition, name="transition"),
    path("civildefence/monthly/", views.monthly, name="monthly"),
]
