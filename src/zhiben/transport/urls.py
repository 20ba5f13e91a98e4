from django.urls import path

from zhiben.imports import views as imports_views

from . import views

app_name = "transport"

# The generic import pages of zhiben.imports, for this app's importers (tabular.py).
VEHICLES = {"kind": "transport_vehicles"}
DRIVERS = {"kind": "transport_drivers"}
VIOLATIONS = {"kind": "transport_violations"}
RIDERS = {"kind": "transport_riders"}

urlpatterns = [
    path("transport/vehicles/", views.vehicle_list, name="vehicle_list"),
    path("transport/vehicles/new/", views.vehicle_create, name="vehicle_create"),
    path("transport/vehicles/export/", views.vehicle_export, name="vehicle_export"),
    path("transport/vehicles/import/", imports_views.import_upload, VEHICLES, name="vehicle_import"),
    path("transport/vehicles/import/template/", imports_views.template_download, VEHICLES, name="vehicle_template"),
    path("transport/vehicles/<int:pk>/", views.vehicle_detail, name="vehicle_detail"),
    path("transport/vehicles/<int:pk>/edit/", views.vehicle_edit, name="vehicle_edit"),
    path("transport/drivers/", views.driver_list, name="driver_list"),
    path("transport/drivers/new/", views.driver_create, name="driver_create"),
    path("transport/drivers/export/", views.driver_export, name="driver_export"),
    path("transport/drivers/import/", imports_views.import_upload, DRIVERS, name="driver_import"),
    path("transport/drivers/import/template/", imports_views.template_download, DRIVERS, name="driver_template"),
    path("transport/drivers/<int:pk>/", views.driver_detail, name="driver_detail"),
    path("transport/drivers/<int:pk>/edit/", views.driver_edit, name="driver_edit"),
    path("transport/violations/", views.violation_list, name="violation_list"),
    path("transport/violations/new/", views.violation_create, name="violation_create"),
    path("transport/violations/export/", views.violation_export, name="violation_export"),
    path("transport/violations/import/", imports_views.import_upload, VIOLATIONS, name="violation_import"),
    path(
        "transport/violations/import/template/",
        imports_views.template_download,
        VIOLATIONS,
        name="violation_template",
    ),
    path("transport/violations/<int:pk>/", views.violation_detail, name="violation_detail"),
    path("transport/violations/<int:pk>/edit/", views.violation_edit, name="violation_edit"),
    path("transport/high-risk/", views.high_risk, name="high_risk"),
    path("transport/riders/", views.rider_ranking, name="rider_ranking"),
    path("transport/riders/import/", imports_views.import_upload, RIDERS, name="rider_import"),
    path("transport/riders/import/template/", imports_views.template_download, RIDERS, name="rider_template"),
]
