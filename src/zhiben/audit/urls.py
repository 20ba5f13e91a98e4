from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
]
