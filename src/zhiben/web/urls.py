from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "web"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:workspace", permanent=False), name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("workspace/", views.workspace, name="workspace"),
    # The other user-administration pages are org's (org/urls.py), the audit log audit's (audit/urls.py).
    path("admin-users/<int:pk>/totp/remove/", views.user_remove_totp, name="user_remove_totp"),
]
