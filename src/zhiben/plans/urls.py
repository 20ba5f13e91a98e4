from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("plans/", views.plan_list, name="list"),
    path("plans/upload/", views.plan_upload, name="upload"),
    path("plans/imports/<int:pk>/", views.import_confirm, name="import_confirm"),
    path("plans/names/", views.names, name="names"),
    path("plans/<int:pk>/", views.plan_detail, name="detail"),
    path("plans/<int:pk>/export.xlsx", views.plan_export, name="export"),
    path("plans/<int:pk>/due-day/", views.plan_due_day, name="due_day"),
    path("plan-tasks/", views.my_tasks, name="my_tasks"),
    path("plan-tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("plan-tasks/<int:pk>/report/", views.task_report, name="task_report"),
    path("plan-reports/", views.report_list, name="reports"),
    path("plan-reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("plan-reports/<int:pk>/do/<str:name>/", views.report_action, name="report_action"),
    path("plan-calendar/", views.calendar, name="calendar"),
    path("plan-calendar/<int:pk>/fulfil/", views.instance_fulfil, name="instance_fulfil"),
    path("plan-calendar/<int:pk>/evidence/<int:evidence_id>/", views.instance_evidence, name="instance_evidence"),
    path("plan-indicators/<int:pk>/record/", views.indicator_record, name="indicator_record"),
    path("plan-indicators/<int:pk>/rule/", views.indicator_rule, name="indicator_rule"),
]
