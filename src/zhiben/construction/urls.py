from django.urls import path

from zhiben.imports import views as imports_views

from . import views

app_name = "construction"

WORKS = {"kind": "dangerous_works"}
CRANES = {"kind": "cranes"}

urlpatterns = [
    path("construction/projects/", views.project_list, name="project_list"),
    path("construction/projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("construction/projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("construction/works/", views.work_list, name="work_list"),
    path("construction/works/new/", views.work_create, name="work_create"),
    path("construction/works/export/", views.work_export, name="work_export"),
    path("construction/works/import/template/", imports_views.template_download, WORKS, name="work_template"),
    path("construction/works/import/", imports_views.import_upload, WORKS, name="work_import"),
    path("construction/works/<int:pk>/", views.work_detail, name="work_detail"),
    path("construction/works/<int:pk>/edit/", views.work_edit, name="work_edit"),
    path("construction/cranes/", views.crane_list, name="crane_list"),
    path("construction/cranes/new/", views.crane_create, name="crane_create"),
    path("construction/cranes/export/", views.crane_export, name="crane_export"),
    path("construction/cranes/import/template/", imports_views.template_download, CRANES, name="crane_template"),
    path("construction/cranes/import/", imports_views.import_upload, CRANES, name="crane_import"),
    path("construction/cranes/<int:pk>/", views.crane_detail, name="crane_detail"),
    path("construction/cranes/<int:pk>/edit/", views.crane_edit, name="crane_edit"),
    path("construction/points/new/", views.point_create, name="point_create"),
    path("construction/points/<int:pk>/", views.point_detail, name="point_detail"),
    path("construction/points/<int:pk>/edit/", views.point_edit, name="point_edit"),
    path("construction/points/<int:pk>/readings/", views.reading_add, name="reading_add"),
    path("construction/major-hazards/", views.major_hazards, name="major_hazards"),
    path("construction/major-hazards/export/", views.major_hazard_export, name="major_hazard_export"),
    path("construction/major-hazards/<int:pk>/basis/", views.hazard_basis, name="hazard_basis"),
]
