from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("inspections/", views.inspection_list, name="list"),
    path("inspections/new/", views.inspection_create, name="create"),
    path("inspections/repeat/", views.repeat_view, name="repeat"),
    path("inspections/activity/", views.activity_view, name="activity"),
    path("inspections/<int:pk>/", views.inspection_detail, name="detail"),
    path("inspections/<int:pk>/report.docx", views.inspection_report, name="report"),
    path("inspections/<int:pk>/photos/<int:photo_id>/", views.answer_photo, name="photo"),
    path(
        "inspections/<int:pk>/photos/<int:photo_id>/thumb/",
        views.answer_photo,
        {"variant": "thumb"},
        name="photo_thumb",
    ),
    path("inspections/<int:pk>/answers/<int:answer_id>/accept/", views.accept_self_fix, name="accept_self_fix"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/due/", views.campaign_due, name="campaign_due"),
    path("checklists/", views.checklist_list, name="checklist_list"),
    path("checklists/new/", views.checklist_create, name="checklist_create"),
    path("checklists/<int:pk>/", views.checklist_detail, name="checklist_detail"),
    path("self-check/", views.self_check, name="self_check"),
]
