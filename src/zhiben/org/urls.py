from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/<int:pk>/", views.organization_detail, name="organization_detail"),
    path("admin-users/", views.user_list, name="user_list"),
    path("admin-users/new/", views.user_create, name="user_create"),
    path("admin-users/<int:pk>/", views.user_detail, name="user_detail"),
    path("admin-users/<int:pk>/update/", views.user_update, name="user_update"),
    path("admin-users/<int:pk>/disable/", views.user_disable, name="user_disable"),
    path("admin-users/<int:pk>/enable/", views.user_enable, name="user_enable"),
    path("admin-users/<int:pk>/password/", views.user_reset_password, name="user_reset_password"),
    # admin-users/<pk>/totp/remove/ is web.views.user_remove_totp (the accounts app's service; see views.py)
    path("admin-users/<int:pk>/memberships/", views.membership_add, name="membership_add"),
    path(
        "admin-users/<int:pk>/memberships/<int:membership_id>/remove/",
        views.membership_remove,
        name="membership_remove",
    ),
]
