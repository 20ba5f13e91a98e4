from django.urls import path

from . import views_xlsx

app_name = "hazards_xlsx"

urlpatterns = [
    path("hazards/import/template/", views_xlsx.template_download, name="template"),
    path("hazards/import/", views_xlsx.import_upload, name="import"),
    path("hazards/export/", views_xlsx.export_download, name="export"),
]
