from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "web"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:workspace", permanent=False), name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("workspace/", views.workspace, name="workspace"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("admin-users/", views.user_list, name="user_list"),
    path("admin-users/new/", views.user_create, name="user_create"),
    path("admin-users/<int:pk>/", views.user_detail, name="user_detail"),
    path("admin-users/<int:pk>/update/", views.user_update, name="user_update"),
    path("admin-users/<int:pk>/disable/", views.user_disable, name="user_disable"),
    path("admin-users/<int:pk>/enable/", views.user_enable, name="user_enable"),
    path("admin-users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    path("admin-users/<int:pk>/totp/remove/", views.user_remove_totp, name="user_remove_totp"),
    path("admin-users/<int:pk>/memberships/", views.membership_add, name="membership_add"),
    path(
        "admin-users/<int:pk>/memberships/<int:membership_id>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
]
