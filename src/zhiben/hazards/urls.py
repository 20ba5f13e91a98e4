from django.urls import path

from zhiben.imports import views as imports_views

from . import views

app_name = "hazards"

KIND = {"kind": "hazards"}  # the generic import pages of zhiben.imports, for this app's importer (tabular.py)

urlpatterns = [
    path("hazards/", views.hazard_list, name="list"),
    path("hazards/import/template/", imports_views.template_download, KIND, name="import_template"),
    path("hazards/import/", imports_views.import_upload, KIND, name="import"),
    path("hazards/export/", views.hazard_export, name="export"),
    path("hazards/new/", views.hazard_create, name="create"),
    path("hazards/figures/", views.hazard_figures_view, name="figures"),
    path("hazards/bulk-assign/", views.hazard_bulk_assign, name="bulk_assign"),
    path("hazards/<int:pk>/", views.hazard_detail, name="detail"),
    path("hazards/<int:pk>/edit/", views.hazard_edit, name="edit"),
    path("hazards/<int:pk>/do/<str:name>/", views.hazard_transition, name="transition"),
    path("hazards/<int:pk>/plan/", views.hazard_plan, name="plan"),
    path("hazards/<int:pk>/supervise/", views.hazard_supervise, name="supervise"),
    path(
        "hazards/<int:pk>/supervisions/<int:supervision_id>/feedback/",
        views.supervision_feedback,
        name="supervision_feedback",
    ),
    path(
        "hazards/<int:pk>/supervisions/<int:supervision_id>/close/", views.supervision_close, name="supervision_close"
    ),
    path("hazards/<int:pk>/notes/", views.hazard_note, name="note"),
    path("hazards/<int:pk>/evidence/", views.hazard_evidence_add, name="evidence_add"),
    path("hazards/<int:pk>/evidence/<int:evidence_id>/", views.evidence_file, name="evidence"),
    path(
        "hazards/<int:pk>/evidence/<int:evidence_id>/thumb/",
        views.evidence_file,
        {"variant": "thumb"},
        name="evidence_thumb",
    ),
    path("hazards-listed/", views.hazard_listed, name="listed"),
    path("hazards-recheck/", views.recheck_list, name="recheck_list"),
    path("hazards-recheck/<int:pk>/", views.recheck_detail, name="recheck_detail"),
    path("hazards-recheck/<int:pk>/items/<int:item_id>/", views.recheck_record, name="recheck_record"),
]
