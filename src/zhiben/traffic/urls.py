from django.urls import path

from zhiben.imports import views as imports_views

from . import views

app_name = "traffic"

BLACK_SPOTS = {"kind": "black_spots"}
SCHOOL_PLANS = {"kind": "school_plans"}

urlpatterns = [
    path("traffic/black-spots/", views.listing_list, name="listing_list"),
    path("traffic/black-spots/new/", views.listing_create, name="listing_create"),
    path("traffic/black-spots/progress/", views.progress, name="progress"),
    path("traffic/black-spots/export/", views.listing_export, name="listing_export"),
    path("traffic/black-spots/import/template/", imports_views.template_download, BLACK_SPOTS, name="listing_template"),
    path("traffic/black-spots/import/", imports_views.import_upload, BLACK_SPOTS, name="listing_import"),
    path("traffic/black-spots/<int:pk>/", views.listing_detail, name="listing_detail"),
    path("traffic/black-spots/<int:pk>/edit/", views.listing_edit, name="listing_edit"),
    path("traffic/black-spots/<int:pk>/transition/", views.listing_transition, name="listing_transition"),
    path("traffic/black-spots/<int:pk>/rectification/", views.rectification_edit, name="rectification_edit"),
    path("traffic/school-plans/", views.plan_list, name="plan_list"),
    path("traffic/school-plans/new/", views.plan_create, name="plan_create"),
    path("traffic/school-plans/export/", views.plan_export, name="plan_export"),
    path("traffic/school-plans/import/template/", imports_views.template_download, SCHOOL_PLANS, name="plan_template"),
    path("traffic/school-plans/import/", imports_views.import_upload, SCHOOL_PLANS, name="plan_import"),
    path("traffic/school-plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("traffic/school-plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
]
